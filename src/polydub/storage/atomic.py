"""Files that concurrent writers cannot tear: a unique temporary beside the target, then a
rename; and an exclusive lock that a killed process releases.

Two jobs may write the same file at the same moment (identical requests, a resumed job and
its replacement). A fixed temporary name (`x.part`) lets one writer rename or delete the
other's half-written file; a unique one per writer cannot, and the rename makes a reader see
the old file or the whole new one, never a part.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMPORARY_SUFFIX = ".part"  # what mirrors and cache sweeps skip


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary path beside `target`; rename it onto `target` when the block
    succeeds, delete it when the block raises."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMPORARY_SUFFIX
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` so that no reader ever sees it half written."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: Path, text: str) -> None:
    """Write UTF-8 `text` to `target` so that no reader ever sees it half written."""
    write_bytes_atomic(target, text.encode("utf-8"))


def copy_atomic(source: Path, target: Path) -> None:
    """Copy `source` to `target` so that no reader ever sees a partial copy."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


@contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold `lock_file` exclusively (threads and processes alike, via flock).

    The kernel drops the lock with a killed process, so a dead holder never blocks the next.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
