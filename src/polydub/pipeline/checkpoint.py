"""Stage checkpoints: a stage's output is reused when the hash of its inputs is unchanged.

Each stage writes into its own directory and finishes by writing `done.json` (atomically) with
the hash of everything it depended on: upstream artifact hashes, settings and engine versions.
A crash mid-stage leaves no `done.json`, so the stage reruns; a changed input changes the hash,
so the stage and everything downstream of it reruns, and nothing else does.

Two jobs on the same video (identical requests at the same moment) share stage directories:
a stage holds an exclusive lock on its directory while it checks and makes its checkpoint, so
the second job waits and then reuses what the first made, instead of wiping it mid-write.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

A = TypeVar("A", bound=BaseModel)

ARTIFACT_FILE = "artifact.json"
DONE_FILE = "done.json"


def content_key(inputs: Any) -> str:
    """A stable hash of JSON-able inputs (pydantic models, paths and dataclasses included)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json")
        if isinstance(obj, Path):
            return str(obj)
        if hasattr(obj, "__dataclass_fields__"):
            return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
        raise TypeError(f"cannot hash {type(obj).__name__}")

    blob = json.dumps(inputs, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def file_key(path: Path, chunk: int = 1 << 22) -> str:
    """sha256 of a file's content, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class StageOutcome:
    name: str
    key: str
    cached: bool
    seconds: float


def _write_json_atomic(path: Path, data: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)


def run_checkpointed(
    stage_dir: Path,
    name: str,
    inputs: Any,
    produce: Callable[[Path], A],
    model: type[A],
) -> tuple[A, StageOutcome]:
    """Return the stage's artifact from its checkpoint, or run `produce(stage_dir)` to make it.

    Args:
        stage_dir: the stage's own directory; wiped before a fresh run.
        name: the stage name, for the outcome record.
        inputs: everything the output depends on (JSON-able).
        produce: makes the artifact, writing any media into the directory it is given.
        model: the artifact's type, to load a checkpoint.
    """
    key = content_key({"stage": name, "inputs": inputs})
    with stage_lock(stage_dir):
        cached = _load_checkpoint(stage_dir, key, model)
        if cached is not None:
            return cached, StageOutcome(name, key, True, 0.0)
        if stage_dir.exists():
            shutil.rmtree(stage_dir)
        stage_dir.mkdir(parents=True)
        started = time.perf_counter()
        artifact = produce(stage_dir)
        seconds = time.perf_counter() - started
        _write_json_atomic(stage_dir / ARTIFACT_FILE, artifact.model_dump_json(indent=1))
        _write_json_atomic(stage_dir / DONE_FILE, json.dumps({"key": key, "seconds": seconds}))
    return artifact, StageOutcome(name, key, False, seconds)


def _load_checkpoint(stage_dir: Path, key: str, model: type[A]) -> A | None:
    """The stage's artifact if its checkpoint was made from `key`; None to run it again."""
    done = stage_dir / DONE_FILE
    if not done.exists():
        return None
    try:
        record = json.loads(done.read_text(encoding="utf-8"))
        if record.get("key") != key:
            return None
        return model.model_validate_json((stage_dir / ARTIFACT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a damaged checkpoint is simply redone


@contextmanager
def stage_lock(stage_dir: Path) -> Iterator[None]:
    """Hold the stage directory exclusively (threads and processes alike, via flock).

    The lock file sits beside the directory, which a fresh run deletes and remakes; the
    kernel drops the lock with a killed process, so a dead job never blocks another.
    """
    stage_dir.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(stage_dir.parent / f".{stage_dir.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
