"""Checkpoints through the object store: what one worker finished, another can resume from.

A pipeline workspace (`<work_root>/<content key>/source/<stage>/<key>`,
`.../targets/<lang>/<stage>/<key>`) is mirrored under `work/<content key>/` in the blob store. A
stage output is pushed only once it is done (its done.json exists) and done.json goes last, so
a reader never sees a half-pushed output as finished. Outputs are keyed by their inputs, so
jobs with different settings push to different keys and never overwrite each other's.
Artifacts hold absolute paths, so the workspace's own path is written as a placeholder in
stored JSON and put back on pull: each worker may keep its work elsewhere.
"""

from __future__ import annotations

import logging
from pathlib import Path

from polydub.pipeline.checkpoint import DONE_FILE
from polydub.storage.atomic import atomic_path
from polydub.storage.s3 import S3BlobStore

logger = logging.getLogger(__name__)

PLACEHOLDER = "@POLYDUB_WORKSPACE@"
LINE_CACHE = "lines"  # synthesized lines, referenced by the synthesize stage's artifact


def _is_temporary(path: Path) -> bool:
    name = path.name
    return name.endswith((".part", ".tmp")) or name.startswith("tmp")


class WorkspaceMirror:
    """Pushes and pulls one workspace's finished stages to and from the blob store."""

    def __init__(self, blobs: S3BlobStore, workspace: Path) -> None:
        self.blobs = blobs
        self.workspace = workspace
        self.prefix = f"work/{workspace.name}"
        self._pushed: dict[Path, tuple[int, float]] = {}

    def _key(self, path: Path) -> str:
        return f"{self.prefix}/{path.relative_to(self.workspace).as_posix()}"

    def pull(self, side: str) -> int:
        """Fetch the stored stages of one side ("source" or "targets/es") not already here;
        returns how many files came."""
        fetched = 0
        listing = self.blobs.listing(f"{self.prefix}/{side}")
        # A stage's done.json last: a stage is never seen finished before its files are here.
        for key in sorted(listing, key=lambda k: k.endswith("/" + DONE_FILE)):
            local = self.workspace / key[len(self.prefix) + 1 :]
            unchanged = local.is_file() and local.stat().st_size == listing[key]
            if unchanged and local.suffix != ".json":  # JSON differs by the placeholder
                self._pushed[local] = _stamp(local)
                continue
            self._fetch(key, local)
            self._pushed[local] = _stamp(local)  # came from the store: no need to send back
            fetched += 1
        return fetched

    def _fetch(self, key: str, local: Path) -> None:
        if local.suffix != ".json":
            self.blobs.download(key, local)
            return
        # JSON is rewritten for this workspace: through a temporary, so no reader sees a part.
        with atomic_path(local) as tmp:
            self.blobs.download(key, tmp)
            text = tmp.read_text(encoding="utf-8")
            tmp.write_text(text.replace(PLACEHOLDER, str(self.workspace)), encoding="utf-8")

    def push(self, side: str) -> int:
        """Send the finished stage outputs (and the line cache) of one side; returns files
        sent."""
        root = self.workspace / side
        if not root.is_dir():
            return 0
        sent = 0
        for stage in sorted(p for p in root.iterdir() if p.is_dir()):
            if stage.name == "targets":
                continue
            if stage.name == LINE_CACHE:
                sent += sum(self._push_file(f) for f in _stored_files(stage))
                continue
            for output in sorted(p for p in stage.iterdir() if p.is_dir()):
                done = output / DONE_FILE
                if not done.is_file():
                    continue  # unfinished: its task will redo it wherever it runs next
                files = [f for f in _stored_files(output) if f != done]
                sent += sum(self._push_file(path) for path in [*files, done])
        return sent

    def _push_file(self, path: Path) -> int:
        stamp = _stamp(path)
        if self._pushed.get(path) == stamp:
            return 0
        if path.suffix == ".json":
            text = path.read_text(encoding="utf-8").replace(str(self.workspace), PLACEHOLDER)
            self.blobs.put_bytes(self._key(path), text.encode("utf-8"))
        else:
            self.blobs.put_file(self._key(path), path)
        self._pushed[path] = stamp
        return 1


def _stored_files(root: Path) -> list[Path]:
    return [f for f in root.rglob("*") if f.is_file() and not _is_temporary(f)]


def _stamp(path: Path) -> tuple[int, float]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime
