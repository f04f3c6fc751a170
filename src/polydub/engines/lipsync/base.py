"""What every lip-sync engine gives the driver: a frame with the mouth redrawn, and where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class MouthEdit:
    """One frame's edit: the new frame and the blend mask (0 = pixel untouched)."""

    rgb: np.ndarray
    mask: np.ndarray  # (height, width) float32 0..1; exactly 0 outside the edited region
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the edited region


@dataclass(frozen=True)
class MouthTarget:
    """What the mouth should look like: opening in face scales, width as a factor of rest."""

    opening: float
    width: float = 1.0
    time: float | None = None  # seconds on the new speech's timeline (audio-driven engines)


class MouthRenderer(Protocol):
    """Redraws the mouth of the face with `points` (478 FaceMesh landmarks, pixels).

    `track_id` names the face across frames (renderers that learn a face's mouths use it).
    A renderer may also offer `observe(track_id, rgb, points)`, which the driver calls for
    every face while it scans the video, before any `render`.
    """

    name: str

    def render(
        self, rgb: np.ndarray, points: np.ndarray, target: MouthTarget, track_id: int = 0
    ) -> MouthEdit: ...
