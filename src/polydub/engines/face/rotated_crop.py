"""Rotated square regions of a frame: how MediaPipe cuts a face out for its models
and maps the model's landmarks back, all in pixel coordinates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Region:
    """A square of side `size` pixels centred at (cx, cy), turned by `angle` radians."""

    cx: float
    cy: float
    size: float
    angle: float

    def to_image(self, out_size: int) -> np.ndarray:
        """2x3 affine taking the model-input pixels (out_size square) to frame pixels."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        k = self.size / out_size
        return np.array(
            [
                [c * k, -s * k, self.cx - (c - s) * self.size / 2],
                [s * k, c * k, self.cy - (s + c) * self.size / 2],
            ]
        )

    def crop(self, rgb: np.ndarray, out_size: int) -> np.ndarray:
        """The region as an out_size square float32 image in [0, 1], edge pixels replicated."""
        matrix = self.to_image(out_size)
        patch = cv2.warpAffine(
            rgb,
            matrix,
            (out_size, out_size),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return patch.astype(np.float32) * (1 / 255)

    def project(self, points: np.ndarray, out_size: int) -> np.ndarray:
        """Model-input pixel coordinates (N, 2) back to frame pixels."""
        points = np.asarray(points, np.float64)
        matrix = self.to_image(out_size)
        return points @ matrix[:, :2].T + matrix[:, 2]


def region_around(
    box: tuple[float, float, float, float],
    start: np.ndarray,
    end: np.ndarray,
    scale: float,
) -> Region:
    """MediaPipe's rect from a box (x0, y0, x1, y1) upright in the frame: turned so that
    start->end lies level, its longer side made square and enlarged by `scale`."""
    x0, y0, x1, y1 = box
    angle = _normalise(-math.atan2(-(end[1] - start[1]), end[0] - start[0]))
    return Region((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * scale, angle)


def region_from_points(points: np.ndarray, start: int, end: int, scale: float) -> Region:
    """The region around landmarks `points`, levelled along points[start] -> points[end]."""
    low, high = points.min(axis=0), points.max(axis=0)
    box = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
    return region_around(box, points[start], points[end], scale)


def overlap(a: Region, b: Region) -> float:
    """Intersection over union of the two regions' upright bounding squares."""
    ha, hb = a.size / 2, b.size / 2
    w = min(a.cx + ha, b.cx + hb) - max(a.cx - ha, b.cx - hb)
    h = min(a.cy + ha, b.cy + hb) - max(a.cy - ha, b.cy - hb)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a.size**2 + b.size**2 - inter)


def _normalise(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))
