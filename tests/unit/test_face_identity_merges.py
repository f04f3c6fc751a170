"""Whole tracks joined into identities after the scan: closest first, never two that shared a
frame; merged per-track series."""

from __future__ import annotations

import numpy as np

from polydub.engines.face.identity import SAME_TRACK_DISTANCE, merged_identities
from polydub.engines.face.tracking import merge_series


def _sig(*values: float) -> np.ndarray:
    return np.array(values, np.float32)


def test_tracks_of_one_look_merge_unless_they_shared_a_frame():
    a, b = _sig(0.0, 0.0), _sig(2.0, 0.0)
    near = SAME_TRACK_DISTANCE / 2
    means = {0: a, 1: b, 2: a + near, 3: b + near, 4: a}
    frames = {0: {0, 1}, 1: {2, 3}, 2: {4, 5}, 3: {6}, 4: {5}}
    # 2 and 4 both look like 0, but were on screen together: only the nearer (4) joins 0,
    # and 2 may not join the group that now holds 4.
    assert merged_identities(means, frames) == {3: 1, 4: 0}


def test_nothing_merges_across_people():
    means = {0: _sig(0.0), 1: _sig(SAME_TRACK_DISTANCE * 1.01)}
    assert merged_identities(means, {0: {0}, 1: {1}}) == {}


def test_merged_series_fill_each_others_gaps():
    nan = np.nan
    series = {
        0: np.array([1.0, nan, nan]),
        2: np.array([nan, nan, 3.0]),
        1: np.array([nan, 2, nan]),
    }
    merged = merge_series(series, {2: 0})
    assert sorted(merged) == [0, 1]
    np.testing.assert_array_equal(merged[0], [1.0, nan, 3.0])
