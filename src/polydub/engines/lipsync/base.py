"""What every lip-sync engine gives the driver: a frame with the mouth redrawn, and where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class MouthEdit:
    """One frame's edit: the new frame and the blend mask (0 = pixel untouched).

    The mask covers the edited region only (no frame-sized array per frame): every pixel
    outside `box` is the source's."""

    rgb: np.ndarray
    mask: np.ndarray  # (y1 - y0, x1 - x0) float32 0..1 over `box`
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the edited region

    def frame_mask(self) -> np.ndarray:
        """The mask over the whole frame (zero outside the box)."""
        x0, y0, x1, y1 = self.box
        out = np.zeros(self.rgb.shape[:2], np.float32)
        out[y0:y1, x0:x1] = self.mask
        return out


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
