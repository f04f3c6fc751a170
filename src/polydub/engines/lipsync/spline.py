"""A smoothing thin-plate spline in the plane, for the speed-mode warp's displacement field.

The interpolant of scipy's RBFInterpolator(kernel="thin_plate_spline", smoothing=s): kernel
r² log r, s added on the diagonal, a degree-1 polynomial. Written out because scipy's generic
version cost about twice as much per frame, mostly its evaluation (a compiled pairwise loop
with a square root and a log per pair); here the squared distances come from one small
matrix product and the kernel is applied in blocks small enough to stay in cache and out of
fresh memory maps. Agrees with scipy to float rounding (tests/unit/test_thin_plate_spline.py).
"""

from __future__ import annotations

import numpy as np

# Query points per block: the block's kernel matrix (rows x points, float64) then stays about
# 200 KB for the warp's ~100 points (measured on 720p frames: 256 rows was fastest).
_BLOCK_ROWS = 256


class ThinPlateSpline:
    """Fits `values` (n, k) given at 2-D `points` (n, 2); call it on points (m, 2)."""

    def __init__(self, points: np.ndarray, values: np.ndarray, smoothing: float = 0.0) -> None:
        points = np.asarray(points, np.float64)
        values = np.asarray(values, np.float64)
        n = len(points)
        # Centred coordinates: squared distances from a product of small numbers lose less.
        self._centre = points.mean(axis=0)
        centred = points - self._centre
        # The polynomial's coordinates are scaled to about -1..1 as scipy does: the same
        # solution, a better conditioned system.
        low, high = centred.min(axis=0), centred.max(axis=0)
        self._shift = (low + high) / 2
        half = (high - low) / 2
        self._scale = np.where(half > 0, half, 1.0)
        # r² = -2 q·p + |p|² + |q|²: one product of (m, 4) by (4, n).
        self._pairs = np.vstack([-2 * centred.T, (centred * centred).sum(axis=1), np.ones(n)])
        lhs = np.zeros((n + 3, n + 3))
        lhs[:n, :n] = 0.5 * self._r2_log_r2(centred)
        lhs[np.arange(n), np.arange(n)] += smoothing
        poly = self._poly(centred)
        lhs[:n, n:] = poly
        lhs[n:, :n] = poly.T
        rhs = np.zeros((n + 3, values.shape[1]))
        rhs[:n] = values
        coeffs = np.linalg.solve(lhs, rhs)
        # The kernel is ½ r² log r²: the ½ goes into the weights (exact, a power of two).
        self._weights, self._affine = 0.5 * coeffs[:n], coeffs[n:]

    def __call__(self, query: np.ndarray) -> np.ndarray:
        centred = np.asarray(query, np.float64) - self._centre
        out = np.empty((len(centred), self._weights.shape[1]))
        for start in range(0, len(centred), _BLOCK_ROWS):
            block = centred[start : start + _BLOCK_ROWS]
            out[start : start + len(block)] = self._r2_log_r2(block) @ self._weights
        out += self._poly(centred) @ self._affine
        return out

    def _poly(self, centred: np.ndarray) -> np.ndarray:
        out = np.ones((len(centred), 3))
        out[:, 1:] = (centred - self._shift) / self._scale
        return out

    def _r2_log_r2(self, centred: np.ndarray) -> np.ndarray:
        """r² log r² (twice the kernel r² log r, with no square root) between each of
        `centred` (m, 2) and the fitted points; 0 where they coincide."""
        lifted = np.ones((len(centred), 4))
        lifted[:, :2] = centred
        lifted[:, 3] = (centred * centred).sum(axis=1)
        r2 = lifted @ self._pairs
        # Rounding can leave a coinciding pair a hair below zero; the log of the smallest
        # positive double is finite, and times r² ~ 0 gives 0, as the kernel's limit.
        np.maximum(r2, np.finfo(np.float64).tiny, out=r2)
        out = np.log(r2)
        out *= r2
        return out
