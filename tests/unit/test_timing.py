"""Property tests of the timing solver: no overlap, no truncation, bounded drift and rate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polydub.pipeline.timing import TimingOptions, make_slots, solve_timing

TOL = 1e-6


@st.composite
def timelines(draw):
    """Random non-overlapping source lines and random dub lengths (0.3x .. 3x the line)."""
    n = draw(st.integers(min_value=1, max_value=25))
    t = draw(st.floats(min_value=0.0, max_value=2.0))
    spans, naturals = [], []
    for i in range(n):
        length = draw(st.floats(min_value=0.2, max_value=8.0))
        spans.append((i, t, t + length))
        naturals.append(length * draw(st.floats(min_value=0.3, max_value=3.0)))
        t += length + draw(st.floats(min_value=0.0, max_value=3.0))
    duration = t + draw(st.floats(min_value=0.0, max_value=2.0))
    return spans, naturals, duration


def _check_common(plan, naturals, options):
    segs = plan.segments
    for seg, natural in zip(segs, naturals, strict=True):
        # Never truncated: the whole natural line is spoken, only faster.
        assert seg.dub_duration * seg.effective_rate == pytest.approx(natural, rel=1e-9)
        assert seg.rate >= 1.0 - TOL
    for a, b in zip(segs, segs[1:], strict=False):
        # Never overlapping the next line, with the gap kept.
        assert a.output_end + options.min_gap <= b.output_start + 1e-6
    assert plan.segments[0].output_start >= -TOL


@settings(max_examples=300, deadline=None)
@given(timelines())
def test_dynamic_duration_bounds_rate_slowdown_and_drift(case):
    spans, naturals, duration = case
    options = TimingOptions(max_rate=1.25, dynamic_duration=True, max_slowdown=1.3)
    plan = solve_timing(make_slots(spans, duration), naturals, duration, options)
    _check_common(plan, naturals, options)
    capped = {s.segment for s in plan.stretches if s.factor >= options.max_slowdown - TOL}
    for seg in plan.segments:
        assert seg.rate <= options.max_rate + TOL
        # Faster than the bound only where the video is already slowed as far as it may be.
        assert seg.effective_rate <= options.max_rate + TOL or seg.index in capped
        # Start drift: at most the lead into the silence before the line.
        assert 0.0 <= seg.lead <= options.max_lead + TOL
        assert plan.to_output_time(seg.source_start) - seg.output_start == pytest.approx(
            seg.lead, abs=1e-9
        )
    assert all(1.0 < s.factor <= options.max_slowdown + TOL for s in plan.stretches)
    assert all(s.reason for s in plan.stretches)
    assert plan.output_duration >= duration - TOL
    # The dub never runs past the end of the output.
    assert plan.segments[-1].output_end <= plan.output_duration + 1e-6


@settings(max_examples=300, deadline=None)
@given(timelines())
def test_fixed_duration_keeps_length_and_bounds_drift(case):
    spans, naturals, duration = case
    options = TimingOptions(max_rate=1.25, dynamic_duration=False, max_lead=0.3)
    plan = solve_timing(make_slots(spans, duration), naturals, duration, options)
    _check_common(plan, naturals, options)
    assert plan.stretches == []
    assert plan.output_duration == pytest.approx(duration)
    for seg in plan.segments:
        assert 0.0 <= seg.lead <= options.max_lead + TOL
        assert seg.source_start - seg.output_start == pytest.approx(seg.lead, abs=1e-9)
    assert plan.segments[-1].output_end <= duration + 1e-6


def test_short_lines_keep_natural_rate():
    spans = [(0, 1.0, 3.0), (1, 5.0, 7.0)]
    plan = solve_timing(make_slots(spans, 10.0), [1.5, 1.8], 10.0)
    assert [s.rate for s in plan.segments] == [1.0, 1.0]
    assert plan.stretches == []


def test_uses_silence_after_line_before_speeding_up():
    # 2 s line followed by 2 s of silence: a 3.5 s dub fits at rate 1.0.
    spans = [(0, 0.0, 2.0), (1, 4.0, 5.0)]
    plan = solve_timing(make_slots(spans, 6.0), [3.5, 1.0], 6.0)
    assert plan.segments[0].rate == 1.0
    assert plan.segments[0].output_end <= 4.0 - 0.1 + 1e-9


def test_speeds_up_within_bound_then_slows_video():
    spans = [(0, 0.0, 2.0), (1, 2.0, 4.0)]
    # needs 1.2x: within the bound, no stretch
    plan = solve_timing(make_slots(spans, 4.0), [2.28, 1.0], 4.0)
    assert plan.segments[0].rate == pytest.approx(1.2)
    assert plan.stretches == []
    # needs 1.5x: 1.25x speech, the rest by slowing [0, 2) of video (within the 1.3x cap)
    plan = solve_timing(make_slots(spans, 4.0), [2.8, 1.0], 4.0)
    assert plan.segments[0].rate == pytest.approx(1.25)
    (stretch,) = plan.stretches
    assert (stretch.start, stretch.end, stretch.segment) == (0.0, 2.0, 0)
    assert stretch.factor == pytest.approx((2.8 / 1.25 + 0.1) / 2.0)
    assert plan.segments[1].output_start == pytest.approx(2.0 * stretch.factor)
    assert "video slowed" in stretch.reason and "capped" not in stretch.reason


def test_slowdown_is_capped_and_the_rest_is_spoken_faster():
    spans = [(0, 0.0, 2.0), (1, 2.0, 4.0)]
    # needs 2x: the video slows only 1.3x; the line is sped up to fit what that gives
    plan = solve_timing(make_slots(spans, 4.0), [3.8, 1.0], 4.0)
    (stretch,) = plan.stretches
    assert stretch.factor == pytest.approx(1.3)
    assert "capped at 1.30x" in stretch.reason
    first = plan.segments[0]
    assert first.output_end == pytest.approx(2.0 * 1.3 - 0.1)
    assert first.dub_duration * first.effective_rate == pytest.approx(3.8)
    # A configured cap holds too.
    plan = solve_timing(make_slots(spans, 4.0), [3.8, 1.0], 4.0, TimingOptions(max_slowdown=1.1))
    assert plan.stretches[0].factor == pytest.approx(1.1)


def test_silence_before_a_line_is_borrowed_before_slowing_video():
    # The second line has 1.9 s of room; at 1.25x its dub takes 2.1 s. The first line ends at
    # 0.8 s, so 0.2 s of the silence before it is borrowed (up to max_lead, 0.3 s).
    spans = [(0, 0.0, 1.0), (1, 2.0, 4.0), (2, 4.0, 5.0)]
    plan = solve_timing(make_slots(spans, 6.0), [0.8, 2.1 * 1.25, 1.0], 6.0)
    second = plan.segments[1]
    assert plan.stretches == []
    assert second.lead == pytest.approx(0.2)
    assert second.output_start == pytest.approx(1.8)


def test_time_mapping_round_trips():
    spans = [(0, 1.0, 2.0), (1, 3.0, 4.0), (2, 6.0, 7.0)]
    plan = solve_timing(make_slots(spans, 8.0), [3.0, 0.5, 4.0], 8.0)
    assert len(plan.stretches) == 2
    for t in [0.0, 0.5, 1.0, 1.7, 2.9, 3.0, 4.5, 6.0, 6.5, 7.9, 8.0]:
        assert plan.to_source_time(plan.to_output_time(t)) == pytest.approx(t)


def test_produced_lengths_are_laid_out_exactly():
    spans = [(0, 0.5, 2.5), (1, 3.0, 4.0)]
    options = TimingOptions(dynamic_duration=False)
    slots = make_slots(spans, 4.0)
    # Slightly long: 0.12 s of the silence before the line absorbs it.
    plan = solve_timing(slots, [2.9, 1.0], 4.0, options, produced=[(1.2, 2.52), (1.0, 1.0)])
    assert plan.segments[0].lead == pytest.approx(0.12)
    assert plan.segments[0].tempo == 1.0
    # Longer than room + lead: a small tempo stretch closes the rest, nothing is cut.
    plan = solve_timing(slots, [3.2, 1.0], 4.0, options, produced=[(1.2, 2.8), (1.0, 1.0)])
    first = plan.segments[0]
    assert first.rate == 1.2
    assert first.lead == pytest.approx(0.3)
    assert first.tempo == pytest.approx(2.8 / 2.7)  # room 2.4 s + 0.3 s lead
    assert first.output_end == pytest.approx(3.0 - options.min_gap)


def test_small_overshoot_is_closed_by_tempo_within_the_rate_bound():
    spans = [(0, 0.0, 2.0), (1, 3.0, 4.0)]
    slots = make_slots(spans, 5.0)
    options = TimingOptions(dynamic_duration=True)
    # Asked 1.1x to fit 2.9 s; the voice gave 2.98 s: a 1.03 tempo closes it, no video slows.
    plan = solve_timing(slots, [3.19, 1.0], 5.0, options, produced=[(1.1, 2.98), (1.0, 1.0)])
    first = plan.segments[0]
    assert plan.stretches == []
    assert first.tempo == pytest.approx(2.98 / 2.9)
    assert first.effective_rate <= options.max_rate
    # Already at the bound: the overshoot slows video instead.
    plan = solve_timing(slots, [4.0, 1.0], 5.0, options, produced=[(1.25, 3.3), (1.0, 1.0)])
    assert plan.segments[0].tempo == 1.0
    assert len(plan.stretches) == 1


@settings(max_examples=200, deadline=None)
@given(timelines(), st.floats(min_value=0.9, max_value=1.1))
def test_produced_lengths_keep_every_invariant(case, error):
    """Whatever length the voice really produced, the plan stays valid."""
    spans, naturals, duration = case
    for dynamic in (True, False):
        options = TimingOptions(dynamic_duration=dynamic)
        slots = make_slots(spans, duration)
        first = solve_timing(slots, naturals, duration, options)
        produced = [(t.rate, t.dub_duration * error) for t in first.segments]
        real = [d * r for r, d in produced]  # what rate 1.0 would have given
        plan = solve_timing(slots, real, duration, options, produced=produced)
        _check_common(plan, real, options)
        if dynamic:
            capped = {s.segment for s in plan.stretches if s.factor >= options.max_slowdown - TOL}
            assert all(
                s.effective_rate <= options.max_rate + TOL or s.tempo == 1.0 or s.index in capped
                for s in plan.segments
            )
            assert all(s.factor <= options.max_slowdown + TOL for s in plan.stretches)
        else:
            assert plan.output_duration == pytest.approx(duration)
            assert plan.segments[-1].output_end <= duration + 1e-6
