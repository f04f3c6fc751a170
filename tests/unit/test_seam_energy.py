"""The seam measure's gradient energy: integer gradients give exactly the float Sobel
figures it was first written with (so seam ratios stay as reported)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from polydub.engines.lipsync.seams import gradient_energy, seam_energy_ratio


def _float_sobel_energy(rgb):
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return gx * gx + gy * gy


@pytest.mark.parametrize("shape", [(2, 3), (37, 53), (240, 200)])
def test_gradient_energy_equals_float_sobel(shape):
    rng = np.random.default_rng(sum(shape))
    rgb = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)  # the steepest gradients there are
    expected = _float_sobel_energy(rgb)
    assert np.array_equal(gradient_energy(rgb), expected)
    where = rng.random(shape) < 0.3
    assert np.array_equal(gradient_energy(rgb, where), expected[where])


def test_seam_ratio_over_a_box_mask_equals_the_frame_mask():
    rng = np.random.default_rng(2)
    source = cv2.GaussianBlur(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8), (0, 0), 2)
    edited = source.copy()
    edited[30:60, 40:80] = 255 - edited[30:60, 40:80]
    mask = np.zeros((90, 120), np.float32)
    mask[28:62, 38:82] = 0.5
    box = (30, 20, 100, 70)
    ratio = seam_energy_ratio(source, edited, mask[20:70, 30:100], box)
    assert ratio == seam_energy_ratio(source, edited, mask)
    ring = (mask > 0.02) & (mask < 0.98)
    want = _float_sobel_energy(edited)[ring].mean() / _float_sobel_energy(source)[ring].mean()
    assert ratio == pytest.approx(float(want), rel=1e-6) and ratio > 1.1
