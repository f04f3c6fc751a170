"""The geometry around the face models: rotated crops and their inverse, BlazeFace anchors and
the weighted merge of overlapping detections (no models run here)."""

from __future__ import annotations

import math

import numpy as np

from polydub.engines.face.blazeface import FULL_RANGE, SHORT_RANGE, _anchor_centres, _weighted_nms
from polydub.engines.face.rotated_crop import Region, overlap, region_from_points


def test_a_rotated_crop_maps_back_onto_the_frame():
    frame = np.zeros((300, 400, 3), np.uint8)
    frame[118:123, 248:253] = 255  # a bright dot centred at (250, 120)
    region = Region(cx=230, cy=140, size=120, angle=math.radians(30))
    crop = region.crop(frame, 96)
    assert crop.shape == (96, 96, 3) and crop.max() <= 1.0
    ys, xs = np.nonzero(crop[..., 0] > 0.5)
    found = region.project(np.array([[xs.mean(), ys.mean()]]), 96)[0]
    assert np.abs(found - [250, 120]).max() < 1.5


def test_a_region_is_levelled_along_its_two_points():
    points = np.array([[100.0, 100.0], [200.0, 200.0], [150.0, 120.0]])
    region = region_from_points(points, 0, 1, 1.5)
    assert math.isclose(region.angle, math.radians(45), abs_tol=1e-9)
    assert (region.cx, region.cy, region.size) == (150.0, 150.0, 150.0)
    assert overlap(region, region) == 1.0
    assert overlap(region, Region(1000, 1000, 10, 0)) == 0.0


def test_anchor_grids_match_the_models_outputs():
    # The detectors emit one row per anchor: 896 at 128 px, 2304 at 192 px.
    assert len(_anchor_centres(128, SHORT_RANGE)) == 896
    assert len(_anchor_centres(192, FULL_RANGE)) == 2304
    first = _anchor_centres(128, SHORT_RANGE)[:3]
    assert first.tolist() == [[4, 4], [4, 4], [12, 4]]  # two anchors per 8 px cell, row by row


def test_overlapping_detections_merge_into_their_weighted_mean():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    keypoints = np.zeros((3, 6, 2), np.float32)
    keypoints[1] += 3
    scores = np.array([0.9, 0.3, 0.8], np.float32)
    merged = _weighted_nms(boxes, keypoints, scores)
    assert [round(d.score, 2) for d in merged] == [0.9, 0.8]
    assert np.allclose(merged[0].box, [0.25, 0.25, 10.25, 10.25])
    assert np.allclose(merged[0].keypoints, 0.75)
    assert merged[1].box == (50.0, 50.0, 60.0, 60.0)
