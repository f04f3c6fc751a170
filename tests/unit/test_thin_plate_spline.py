"""The warp's thin-plate spline against scipy's RBFInterpolator, which it replaced."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import RBFInterpolator

from polydub.engines.lipsync.spline import ThinPlateSpline


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("smoothing", [0.0, 1e-3])
def test_equals_scipys_thin_plate_spline(seed, smoothing):
    rng = np.random.default_rng(seed)
    # Pixel coordinates of a 720p frame and displacements of a few pixels, as the warp has;
    # more query points than a block, and points on the fitted ones.
    points = rng.uniform(0, 1280, (110, 2))
    values = rng.normal(0, 5, (110, 2))
    query = np.vstack([rng.uniform(-50, 1330, (700, 2)), points[:20]])
    expected = RBFInterpolator(points, values, kernel="thin_plate_spline", smoothing=smoothing)(
        query
    )
    got = ThinPlateSpline(points, values, smoothing)(query)
    assert np.abs(got - expected).max() < 1e-6


def test_passes_through_its_points_without_smoothing_and_keeps_an_affine_field():
    rng = np.random.default_rng(7)
    points = rng.uniform(100, 400, (40, 2))
    values = rng.normal(0, 3, (40, 3))
    assert np.allclose(ThinPlateSpline(points, values)(points), values, atol=1e-8)
    # An affine field is the polynomial part alone: reproduced everywhere.
    affine = points @ np.array([[0.5, -1.0], [2.0, 0.25]]) + (3.0, -4.0)
    query = rng.uniform(0, 500, (300, 2))
    want = query @ np.array([[0.5, -1.0], [2.0, 0.25]]) + (3.0, -4.0)
    assert np.allclose(ThinPlateSpline(points, affine, 1e-3)(query), want, atol=1e-6)


def test_smoothing_lets_the_fit_miss_its_points():
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 100, (30, 2))
    values = rng.normal(0, 5, (30, 2))
    loose = ThinPlateSpline(points, values, smoothing=10.0)(points)
    assert np.abs(loose - values).max() > 0.1
