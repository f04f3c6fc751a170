"""Stage checkpoints: a stage's output is reused when the hash of its inputs is unchanged.

A stage's output lives in a directory named by that hash (its key: upstream artifact hashes,
settings and engine versions), `<stage dir>/<key>/`, finished by writing `done.json`
(atomically) last. A crash mid-stage leaves no `done.json`, so the stage reruns; a changed
input changes the key, so the stage and everything downstream of it run into new directories,
and nothing else does.

Keying directories by input is what keeps concurrent jobs apart: two jobs on one video with
different settings (music kept or not) make different keys, so neither reads nor wipes the
other's output, while work with equal inputs (the source side, shared by every language and
every settings variant that does not change it) is made once. Jobs with the same key (identical
requests at the same moment) take an exclusive lock on the key's directory: the second waits,
then reuses what the first made. A finished directory is never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from polydub.storage.atomic import exclusive_lock, write_text_atomic

A = TypeVar("A", bound=BaseModel)

ARTIFACT_FILE = "artifact.json"
DONE_FILE = "done.json"
KEY_DIR_CHARS = 20  # of a key's hex digits, naming its directory: 80 bits, no collisions


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
    directory: Path | None = None  # where the output lives


def checkpoint_dir(stage_dir: Path, key: str) -> Path:
    """The directory of the stage output made from `key`."""
    return stage_dir / key[:KEY_DIR_CHARS]


def stage_key(name: str, inputs: Any) -> str:
    """The key of stage `name`'s output made from `inputs` (what run_checkpointed names it by)."""
    return content_key({"stage": name, "inputs": inputs})


def is_checkpointed(stage_dir: Path, name: str, inputs: Any, model: type[A]) -> bool:
    """Whether run_checkpointed would reuse a finished output instead of producing it."""
    key = stage_key(name, inputs)
    return _load_checkpoint(checkpoint_dir(stage_dir, key), key, model) is not None


def run_checkpointed(
    stage_dir: Path,
    name: str,
    inputs: Any,
    produce: Callable[[Path], A],
    model: type[A],
) -> tuple[A, StageOutcome]:
    """Return the stage's artifact from its checkpoint, or run `produce` to make it.

    Args:
        stage_dir: the stage's own directory; each key's output goes in a subdirectory
            (`checkpoint_dir`), which `produce` is given, wiped first if a run was cut short.
        name: the stage name, for the outcome record.
        inputs: everything the output depends on (JSON-able).
        produce: makes the artifact, writing any media into the directory it is given.
        model: the artifact's type, to load a checkpoint.
    """
    key = stage_key(name, inputs)
    directory = checkpoint_dir(stage_dir, key)
    with stage_lock(directory):
        cached = _load_checkpoint(directory, key, model)
        if cached is not None:
            return cached, StageOutcome(name, key, True, 0.0, directory)
        if directory.exists():  # cut short (or damaged): nobody else holds it, we hold the lock
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        started = time.perf_counter()
        artifact = produce(directory)
        seconds = time.perf_counter() - started
        write_text_atomic(directory / ARTIFACT_FILE, artifact.model_dump_json(indent=1))
        write_text_atomic(directory / DONE_FILE, json.dumps({"key": key, "seconds": seconds}))
    return artifact, StageOutcome(name, key, False, seconds, directory)


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
def stage_lock(directory: Path) -> Iterator[None]:
    """Hold a checkpoint directory exclusively (threads and processes alike).

    The lock file sits beside the directory, which a fresh run deletes and remakes; the
    kernel drops the lock with a killed process, so a dead job never blocks another.
    """
    with exclusive_lock(directory.parent / f".{directory.name}.lock"):
        yield
