"""Blob storage in a local directory, keyed by relative paths."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from polydub.storage.atomic import atomic_path, copy_atomic, write_bytes_atomic


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """The file behind `key`; refuses keys that would escape the store."""
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"invalid storage key {key!r}")
        return target

    def put_file(self, key: str, source: Path) -> str:
        """Store a copy of `source` under `key`; concurrent writers of one key never tear it."""
        copy_atomic(source, self.path(key))
        return key

    def move_file(self, key: str, source: Path) -> str:
        """Store `source` under `key`, taking the file (a rename when on the same volume)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            with atomic_path(target) as tmp:  # another volume: copy beside it, then rename
                shutil.copyfile(source, tmp)
            source.unlink()
        return key

    def put_bytes(self, key: str, data: bytes) -> str:
        """Store `data` under `key`; concurrent writers of one key never tear it."""
        write_bytes_atomic(self.path(key), data)
        return key

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete_prefix(self, prefix: str) -> None:
        target = self.path(prefix)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink()
