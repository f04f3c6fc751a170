"""Shorter phrasings: the time budget a sentence has, which shorter text may replace it, and how
each slowed stretch of video says what was tried first."""

from __future__ import annotations

import pytest

from polydub.domain.transcript import Segment
from polydub.engines.mt.ctranslate2_mt import pick_alternative
from polydub.pipeline.phrasing import (
    CHARS_PER_SECOND,
    PhrasingAttempt,
    acceptable_shorter,
    char_budgets,
    explain_phrasing,
    slot_seconds,
    without_fillers,
)
from polydub.pipeline.timing import TimingOptions, make_slots, solve_timing


def _segments(*spans):
    return [Segment(index=k, start=a, end=b, text="x") for k, (a, b) in enumerate(spans)]


def test_a_slot_counts_the_pause_after_and_the_early_start_before():
    options = TimingOptions(min_gap=0.1, max_lead=0.3, max_rate=1.25)
    segments = _segments((0.5, 1.5), (1.6, 3.0), (4.0, 5.0))
    # first: 1.6 - 0.1 - 0.5 = 1.0 after, 0.3 of the 0.5 s before it;
    # second: 4.0 - 0.1 - 1.6 = 2.3, only 0.1 s of silence before it;
    # last: to its end plus a second, and the 0.3 s lead (a whole second of silence before).
    assert slot_seconds(segments, options) == pytest.approx([1.3, 2.4, 2.3])
    budgets = char_budgets(segments, options)
    assert budgets == [int(s * CHARS_PER_SECOND * 1.25) for s in (1.3, 2.4, 2.3)]
    # A line with no time at all still gets a word or two.
    assert char_budgets(_segments((0.0, 0.1), (0.1, 0.2)), options)[0] == 8


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [
        ("Jon llega el lunes a las 9.", True),
        ("Jon llega el lunes a las nueve de la mañana en punto.", False),  # not shorter
        ("Llega el lunes a las 9.", False),  # lost the name
        ("Jon llega el lunes.", False),  # lost the number
        ("Jon, 9.", False),  # too little left of the line
        ("", False),
    ],
)
def test_a_shorter_phrasing_must_keep_names_numbers_and_most_of_the_line(candidate, ok):
    current = "Jon va a llegar el lunes por la mañana a las 9, más o menos."
    assert acceptable_shorter(candidate, current, ["Jon", "9", "Polydub"]) is ok


@pytest.mark.parametrize(
    ("text", "plainer"),
    [
        ("Well, you know, I think so.", "I think so."),
        ("So, um, we go home.", "We go home."),
        ("I went home, you know, then I slept.", "I went home, then I slept."),
        ("The plan (as you saw) is good.", "The plan is good."),
        ("The plan — as you saw — is good.", "The plan is good."),
        ("Well done.", None),  # not set off: a word of the sentence
        ("I like it, so we go.", None),
        ("It costs 5 - 10 euros - maybe.", None),  # a range, not an aside
    ],
)
def test_only_fillers_and_asides_the_source_marks_are_left_out(text, plainer):
    assert without_fillers(text) == plainer


def test_alternatives_pick_the_best_that_fits_else_the_shortest_within_the_margin():
    options = [("una frase bastante larga", -0.5), ("frase larga", -0.7), ("corta", -1.5)]
    assert pick_alternative(options, 100, 0.35) == "una frase bastante larga"  # best fits
    assert pick_alternative(options, 12, 0.35) == "frase larga"  # best that fits
    assert pick_alternative(options, 3, 0.35) == "frase larga"  # none fits: shortest in margin
    assert pick_alternative(options, 3, 2.0) == "corta"
    assert pick_alternative(options, 3, 0.0) == "una frase bastante larga"


def test_each_stretch_says_what_was_tried_before_slowing_video():
    # Line 1 (2.0-3.0) has a 0.5 s pause after it and 0.3 s of silence before it to borrow;
    # its dub needs 3.0 s at 1.25x: the pause, the early start, then 1.3x (capped).
    spans = [(0, 0.0, 1.0), (1, 2.0, 3.0), (2, 3.5, 5.0), (3, 5.0, 6.0)]
    plan = solve_timing(make_slots(spans, 7.0), [1.0, 3.75, 1.5, 1.0], 7.0)
    (stretch,) = plan.stretches
    assert stretch.segment == 1 and stretch.capped
    assert stretch.pause_used == pytest.approx(0.4)  # 0.5 s less the gap kept before line 2
    assert stretch.early_start == pytest.approx(0.3)
    assert "pause after it gives 0.40s" in stretch.reason
    assert "early start of 0.30s (the most allowed)" in stretch.reason
    assert "capped at 1.30x" in stretch.reason

    tried = PhrasingAttempt(
        segments=[1],
        budget_chars=25,
        chars_before=60,
        chars_after=60,
        method=None,
        outcome="engine cannot shorten",
    )
    (explained,) = explain_phrasing(plan.stretches, [tried])
    assert explained.shorter_phrasing.startswith("shorter phrasing: the translation engine cannot")
    assert explained.reason.endswith(explained.shorter_phrasing)
    assert explained.reason.startswith(stretch.reason)
    shortened = tried.model_copy(
        update={"chars_after": 40, "method": "alternatives", "outcome": "shortened"}
    )
    (explained,) = explain_phrasing(plan.stretches, [shortened])
    assert "(alternatives): 60 -> 40 chars" in explained.reason
    # A line predicted to fit had nothing asked of the engine, and the stretch says so.
    (unexplained,) = explain_phrasing(plan.stretches, [])
    assert "not tried, the translation was predicted to fit" in unexplained.shorter_phrasing


def test_the_timing_report_gives_each_stretch_its_phrasing_attempt():
    from polydub.domain.timing import TimingPlan, VideoStretch
    from polydub.pipeline.artifacts import FitArtifact, TranslationArtifact
    from polydub.pipeline.quality import timing_report

    attempt = PhrasingAttempt(
        segments=[3, 4], budget_chars=30, chars_before=52, chars_after=41,
        method="length request", outcome="shortened",
    )  # fmt: skip
    translated = TranslationArtifact(
        source_language="en", target_language="es", engine="t", segments=[], phrasing=[attempt]
    )
    stretches = [
        VideoStretch(start=1.0, end=2.0, factor=1.2, segment=4, reason="the dub needs 1.20s"),
        VideoStretch(start=5.0, end=6.0, factor=1.1, segment=7, reason="the dub needs 1.10s"),
    ]
    plan = TimingPlan(
        stretches=stretches, source_duration=8.0, max_rate=1.25, dynamic_duration=True
    )
    report = timing_report(translated, FitArtifact(plan=plan, lines=[]))
    shortened, untried = report.stretches
    assert shortened.shorter_phrasing == (
        "shorter phrasing (length request): 52 -> 41 chars for a budget of 30"
    )
    assert shortened.reason == f"the dub needs 1.20s; {shortened.shorter_phrasing}"
    assert "not tried" in untried.shorter_phrasing
