"""Landmarks of every face on every frame, kept on disk between the scan and render passes
(and, saved, between runs on the same video)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

POINTS = 478


class LandmarkStore:
    """Append faces frame by frame, then read them back; only a small index stays in memory."""

    def __init__(self, directory: Path | None = None) -> None:
        self._file = tempfile.NamedTemporaryFile(dir=directory, suffix=".landmarks", delete=True)
        self._path = Path(self._file.name)
        self._index: list[list[tuple[int, int]]] = []  # per frame: (track id, slot)
        self._slots = 0
        self._view: np.ndarray | None = None

    def save(self, directory: Path) -> None:
        """Write the landmarks and their index into `directory` (for `load`)."""
        self._file.flush()
        shutil.copyfile(self._path, directory / "landmarks.f32")
        (directory / "index.json").write_text(json.dumps(self._index))

    @classmethod
    def load(cls, directory: Path) -> LandmarkStore:
        """A read-only store of what `save` wrote."""
        store = cls.__new__(cls)
        store._file = None
        store._path = directory / "landmarks.f32"
        store._index = [
            [tuple(face) for face in frame]
            for frame in json.loads((directory / "index.json").read_text())
        ]
        store._slots = store._path.stat().st_size // (POINTS * 2 * 4)
        store._view = None
        return store

    def add(self, frame: int, faces: list[tuple[int, np.ndarray]]) -> None:
        while len(self._index) <= frame:
            self._index.append([])
        for track_id, points in faces:
            self._file.write(np.ascontiguousarray(points, np.float32).tobytes())
            self._index[frame].append((track_id, self._slots))
            self._slots += 1

    def faces(self, frame: int) -> dict[int, np.ndarray]:
        """Track id -> landmarks of the faces on `frame`."""
        if frame >= len(self._index) or not self._index[frame]:
            return {}
        if self._view is None:
            if self._file is not None:
                self._file.flush()
            self._view = np.memmap(self._path, np.float32, "r", shape=(self._slots, POINTS, 2))
        return {track_id: np.asarray(self._view[slot]) for track_id, slot in self._index[frame]}

    def relabel(self, merges: dict[int, int]) -> None:
        """Give merged tracks (track id -> id to use) their new ids on every frame."""
        self._index = [
            [(merges.get(track, track), slot) for track, slot in frame] for frame in self._index
        ]

    @property
    def frames(self) -> int:
        return len(self._index)

    def close(self) -> None:
        self._view = None
        if self._file is not None:
            self._file.close()
