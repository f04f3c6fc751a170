"""Checks on an edited frame: is there a visible seam where the edit is blended in?"""

from __future__ import annotations

import cv2
import numpy as np


def gradient_energy(rgb: np.ndarray) -> np.ndarray:
    """Squared gradient magnitude of the luminance, per pixel."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return gx * gx + gy * gy


def blend_ring(mask: np.ndarray, low: float = 0.02, high: float = 0.98) -> np.ndarray:
    """The blend boundary: pixels the mask mixes (neither untouched nor fully replaced)."""
    return (mask > low) & (mask < high)


def seam_energy_ratio(
    source: np.ndarray,
    edited: np.ndarray,
    mask: np.ndarray,
    box: tuple[int, int, int, int] | None = None,
) -> float:
    """Gradient energy along the blend boundary of `edited` over the same ring in `source`:
    1.0 means the boundary is as smooth as the original picture there (no seam). `box`
    (x0, y0, x1, y1) limits the work to the edited region."""
    if box is not None:
        x0, y0, x1, y1 = box
        source, edited, mask = source[y0:y1, x0:x1], edited[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    ring = blend_ring(mask)
    if not ring.any():
        return 1.0
    before = float(gradient_energy(source)[ring].mean())
    after = float(gradient_energy(edited)[ring].mean())
    return after / max(before, 1e-6)
