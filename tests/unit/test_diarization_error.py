"""Diarization error rate on hand-made turns."""

from __future__ import annotations

import pytest

from polydub.pipeline.diarization_error import diarization_error_rate

REFERENCE = [(0.0, 4.0, "alice"), (4.0, 6.0, "bob"), (7.0, 10.0, "alice")]


def test_perfect_hypothesis_with_other_names_scores_zero():
    hyp = [(s, e, {"alice": "S0", "bob": "S1"}[k]) for s, e, k in REFERENCE]
    error = diarization_error_rate(REFERENCE, hyp)
    assert error.der == 0.0
    assert error.mapping == {"S0": "alice", "S1": "bob"}


def test_confusion_missed_and_false_alarm_are_counted():
    hyp = [(0.0, 5.0, "S0"), (5.0, 6.0, "S1"), (7.0, 9.0, "S0"), (10.0, 11.0, "S0")]
    error = diarization_error_rate(REFERENCE, hyp)
    # 1 s of bob called S0, 1 s of alice missed, 1 s of nobody called S0; 9 s of speech.
    assert error.confusion == pytest.approx(1.0, abs=0.02)
    assert error.missed == pytest.approx(1.0, abs=0.02)
    assert error.false_alarm == pytest.approx(1.0, abs=0.02)
    assert error.der == pytest.approx(3.0 / 9.0, abs=0.01)


def test_collar_ignores_boundary_slips():
    hyp = [(0.0, 4.2, "S0"), (4.2, 6.0, "S1"), (7.0, 10.0, "S0")]
    assert diarization_error_rate(REFERENCE, hyp).der > 0.01
    assert diarization_error_rate(REFERENCE, hyp, collar=0.25).der == 0.0
