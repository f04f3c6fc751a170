"""Choosing a line's rate before it is spoken: the predicted tail correction and the ask."""

from __future__ import annotations

import pytest

from polydub.domain.media import MediaInfo
from polydub.domain.transcript import Segment
from polydub.pipeline.artifacts import IngestArtifact, TranslationArtifact
from polydub.pipeline.fit import rate_planner
from polydub.pipeline.line_rates import (
    OVERSHOOT_ALLOWANCE,
    PRIOR_TAIL,
    TailCorrection,
    asked_rate,
    natural_of_spoken,
)
from polydub.pipeline.timing import TimingOptions


def test_the_prior_tail_comes_off_long_lines_and_not_one_word_lines():
    tails = TailCorrection()
    assert tails.corrected("v", 4.0) == pytest.approx(4.0 - PRIOR_TAIL)
    assert tails.corrected("v", 0.5) == 0.5  # "Sí." lasts as long as predicted
    assert 1.0 - PRIOR_TAIL < tails.corrected("v", 1.0) < 1.0


def test_the_tail_is_learned_per_voice_from_lines_heard():
    tails = TailCorrection()
    tails.add("a", 4.0, 3.5)
    tails.add("a", 3.0, 2.5)
    tails.add("a", 0.5, 0.9)  # a one-word line teaches nothing about the tail
    assert tails.tail("a") == pytest.approx(0.5)
    assert tails.tail("b") == PRIOR_TAIL
    assert tails.corrected("a", 5.0) == pytest.approx(4.5)


def test_the_ask_aims_a_little_fast_within_the_plans_bound():
    assert asked_rate(1.0, max_rate=1.25) == 1.0  # natural rate asks nothing
    assert asked_rate(1.1, max_rate=1.25) == pytest.approx(1.1 * OVERSHOOT_ALLOWANCE, abs=0.005)
    assert asked_rate(1.25, max_rate=1.25) == 1.25  # never past the plan's bound
    assert asked_rate(1.46, max_rate=1.25) == 1.46  # nor past a rate the plan chose itself
    assert asked_rate(2.5, max_rate=1.25) == 2.0  # nor past what the voice can do


def test_a_spoken_lines_natural_length_is_judged_from_its_rate():
    assert natural_of_spoken(3.0, 1.0) == 3.0
    assert natural_of_spoken(3.0, 1.2) == pytest.approx(3.0 * 1.2 / OVERSHOOT_ALLOWANCE)


def _planner(rooms: list[float], options: TimingOptions):
    segments, t = [], 0.0
    for i, room in enumerate(rooms):
        segments.append(Segment(index=i, start=t, end=t + room - 0.2, text="-", translation="x"))
        t += room
    translated = TranslationArtifact(
        source_language="en", target_language="es", engine="test", segments=segments
    )
    ingested = IngestArtifact(
        source="s.mp4", info=MediaInfo(duration=t, format_name="mp4"), mixture_wav="a.wav",
        range_start=0.0, range_end=t,
    )  # fmt: skip
    return rate_planner(translated, ingested, options)


def test_the_planner_gives_the_rate_each_predicted_line_needs():
    plan = _planner([3.0, 3.0, 3.0], TimingOptions(max_rate=1.25, dynamic_duration=True))
    rates = plan({0: 2.0, 1: 3.45, 2: 6.0})
    assert rates[0] == 1.0  # fits at natural rate
    assert rates[1] == pytest.approx(3.45 / 2.9)  # room less the gap
    assert rates[2] == pytest.approx(1.25)  # past the bound: video slows instead
    # Without dynamic duration the lead before a line is borrowed first.
    fixed = _planner([3.0, 3.0], TimingOptions(max_rate=1.25, dynamic_duration=False))
    assert fixed({0: 1.0, 1: 4.0})[1] == pytest.approx(4.0 / (3.0 + 0.3))  # last: no gap
