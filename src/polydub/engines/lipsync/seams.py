"""Checks on an edited frame: is there a visible seam where the edit is blended in?"""

from __future__ import annotations

import cv2
import numpy as np


def gradient_energy(rgb: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """Squared gradient magnitude (3x3 Sobel) of the luminance, per pixel, or at the pixels
    `where` is set (a flat array)."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    # Integer gradients of the 8-bit luminance, exact; their squares (at most 2 * 1020²) are
    # exact in float32 too, so these are the figures float Sobel filters gave, for less work.
    gx, gy = cv2.spatialGradient(grey)
    if where is not None:
        gx, gy = gx[where], gy[where]
    gx, gy = gx.astype(np.float32), gy.astype(np.float32)
    gx *= gx
    gy *= gy
    gx += gy
    return gx


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
    1.0 means the boundary is as smooth as the original picture there (no seam). With `box`
    (x0, y0, x1, y1), the edited region (a MouthEdit's), `mask` covers that box alone and the
    work is limited to it; without, `mask` covers the frame."""
    if box is not None:
        x0, y0, x1, y1 = box
        source, edited = source[y0:y1, x0:x1], edited[y0:y1, x0:x1]
    ring = blend_ring(mask)
    if not ring.any():
        return 1.0
    before = float(gradient_energy(source, ring).mean())
    after = float(gradient_energy(edited, ring).mean())
    return after / max(before, 1e-6)
