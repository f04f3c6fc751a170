"""The inside of each speaker's mouth, taken from their own frames, for speed mode to draw into
a mouth it opens (teeth, tongue and shadow instead of a flat dark fill).

While the video is scanned, each face's widest-open mouth is kept: the crop around its inner
lips and where those lips are in it. Drawing maps that crop onto the new inner-lip outline with
a least-squares affine fit through the inner-lip landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from polydub.engines.face.landmarks import INNER_LIPS, face_scale, mouth_gap

# A mouth less open than this (face scales) shows too little inside to be worth keeping.
MIN_OPEN = 0.06
PAD = 0.25  # crop margin around the inner lips, as a share of their size


@dataclass
class InnerMouth:
    opening: float  # face scales
    crop: np.ndarray  # RGB around the inner lips
    lips: np.ndarray  # inner-lip landmarks in crop pixels (len(INNER_LIPS), 2)


class InnerMouthBank:
    """Per face track, its widest-open mouth seen so far."""

    def __init__(self) -> None:
        self.mouths: dict[int, InnerMouth] = {}

    def observe(self, track_id: int, rgb: np.ndarray, points: np.ndarray) -> None:
        opening = mouth_gap(points) / face_scale(points)
        best = self.mouths.get(track_id)
        if opening < MIN_OPEN or (best is not None and opening <= best.opening):
            return
        lips = points[list(INNER_LIPS)].astype(np.float64)
        low, high = lips.min(axis=0), lips.max(axis=0)
        pad = (high - low) * PAD + 2
        x0, y0 = np.maximum(np.floor(low - pad), 0).astype(int)
        x1, y1 = np.minimum(np.ceil(high + pad), (rgb.shape[1], rgb.shape[0])).astype(int)
        if x1 - x0 < 4 or y1 - y0 < 4:
            return
        self.mouths[track_id] = InnerMouth(opening, rgb[y0:y1, x0:x1].copy(), lips - (x0, y0))

    def drawn(
        self, track_id: int, inner_lips: np.ndarray, size: tuple[int, int]
    ) -> np.ndarray | None:
        """The kept inside of `track_id`'s mouth mapped onto `inner_lips` (pixels of an image
        of `size` = (width, height)); None when none was kept."""
        mouth = self.mouths.get(track_id)
        if mouth is None:
            return None
        src = np.hstack([mouth.lips, np.ones((len(mouth.lips), 1))])
        affine, *_ = np.linalg.lstsq(src, inner_lips.astype(np.float64), rcond=None)
        return cv2.warpAffine(
            mouth.crop,
            affine.T.astype(np.float64),
            size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
