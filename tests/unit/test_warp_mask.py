"""The speed-mode warp's edit: its mask covers the edited box alone (no frame-sized array per
frame), and the frame it draws is the one scipy's spline drew."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.interpolate import RBFInterpolator

from polydub.engines.lipsync import warp
from polydub.engines.lipsync.base import MouthEdit, MouthTarget
from polydub.engines.lipsync.exemplar import _union_mask
from polydub.engines.lipsync.seams import seam_energy_ratio

LANDMARKS = Path(__file__).parents[1] / "integration" / "lipsync" / "data"


@pytest.fixture(scope="module")
def face():
    points = np.load(LANDMARKS / "mediapipe_landmarks.npz")["facemesh_large_720p"]
    rng = np.random.default_rng(5)
    # Smooth texture with detail at several scales: the warp's resampling shows on it.
    noise = rng.normal(128, 40, (720, 1280, 3)).astype(np.float32)
    frame = np.clip(cv2.GaussianBlur(noise, (0, 0), 2.0) * 2 - 128, 0, 255).astype(np.uint8)
    return frame, points.astype(np.float64)


def _scipy_spline(points, values, smoothing):
    return RBFInterpolator(points, values, kernel="thin_plate_spline", smoothing=smoothing)


@pytest.mark.parametrize("opening", [0.05, 0.3])
def test_render_draws_what_scipys_spline_drew(face, opening, monkeypatch):
    frame, points = face
    target = MouthTarget(opening, 1.1)
    ours = warp.MouthWarper().render(frame, points, target)
    monkeypatch.setattr(warp, "ThinPlateSpline", _scipy_spline)
    theirs = warp.MouthWarper().render(frame, points, target)
    assert ours.box == theirs.box
    assert not np.array_equal(ours.rgb, frame)  # the mouth did move
    diff = np.abs(ours.rgb.astype(int) - theirs.rgb.astype(int))
    assert diff.max() <= 1 and diff.mean() < 1e-4
    assert np.abs(ours.mask - theirs.mask).max() == 0


def test_mask_covers_the_edited_box_and_nothing_outside_changes(face):
    frame, points = face
    edit = warp.MouthWarper().render(frame, points, MouthTarget(0.3))
    x0, y0, x1, y1 = edit.box
    assert edit.mask.shape == (y1 - y0, x1 - x0)
    full = edit.frame_mask()
    assert full.shape == frame.shape[:2] and full.sum() == pytest.approx(edit.mask.sum())
    outside = full == 0
    assert np.array_equal(edit.rgb[outside], frame[outside])
    ratio = seam_energy_ratio(frame, edit.rgb, edit.mask, edit.box)
    assert ratio == seam_energy_ratio(frame, edit.rgb, full)


def test_region_mask_over_its_support_is_the_box_mask_cut_to_it(face):
    _, points = face
    pts = points
    moves = warp.lip_moves(pts, MouthTarget(0.3))
    scale = warp.face_scale(pts)
    options = warp.WarpOptions()
    box = warp._region(pts, moves, scale, options, (720, 1280))
    fence = warp._fence(pts, moves, scale * options.mask_grow)
    feather = scale * options.feather
    whole = warp.region_mask(fence, box, feather)
    work = warp._support(fence, feather, box)
    x0, y0 = box[:2]
    wx0, wy0, wx1, wy1 = work
    cut = whole[wy0 - y0 : wy1 - y0, wx0 - x0 : wx1 - x0]
    assert np.array_equal(warp.region_mask(fence, work, feather), cut)
    assert cut.sum() == pytest.approx(whole.sum(), rel=1e-6)  # nothing lies outside the support


def test_unchanged_frame_has_an_empty_mask_over_its_box():
    frame = np.zeros((40, 60, 3), np.uint8)
    edit = warp._unchanged(frame, (10, 5, 15, 9))
    assert edit.rgb is frame and edit.mask.shape == (4, 5) and not edit.mask.any()
    assert MouthEdit(frame, edit.mask, edit.box).frame_mask().shape == (40, 60)


def test_union_mask_keeps_both_masks_where_they_lie():
    a = np.full((4, 6), 0.5, np.float32)
    b = np.full((3, 3), 0.8, np.float32)
    mask, box = _union_mask(a, (10, 20, 16, 24), b, (14, 22, 17, 25))
    assert box == (10, 20, 17, 25)
    assert mask.shape == (5, 7)
    assert mask[0, 0] == 0.5 and mask[2, 4] == pytest.approx(0.8) and mask[4, 0] == 0
    assert mask[4, 6] == pytest.approx(0.8) and mask[0, 6] == 0


def test_blend_rounds_the_float32_mix_to_the_nearest():
    rng = np.random.default_rng(4)
    region = rng.integers(0, 256, (31, 47, 3), dtype=np.uint8)
    warped = rng.integers(0, 256, (31, 47, 3), dtype=np.uint8)
    weight = rng.random((31, 47)).astype(np.float32)
    weight[:5] = 0.0
    weight[-5:] = 1.0
    base = region.astype(np.float32)
    want = ((warped.astype(np.float32) - base) * weight[..., None] + base + 0.5).astype(np.uint8)
    original = region.copy()
    warp._blend_into(region, warped, weight)
    assert np.array_equal(region, want)
    assert np.array_equal(region[:5], original[:5]) and np.array_equal(region[-5:], warped[-5:])
