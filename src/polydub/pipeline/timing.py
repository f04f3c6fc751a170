"""The timing solver: fit each dubbed line into the time its source line had.

Per segment, in order:
1. The room is from the line's start to the next line's start, less a small gap.
2. If the natural dub is longer than the room, ask the voice to speak faster (re-synthesis),
   up to `max_rate`.
3. Still too long: start up to `max_lead` early into free silence before the line.
4. Still too long, with dynamic duration: slow that stretch of video (line plus the silence
   after it) just enough, but never more than `max_slowdown` (slow motion past ~1.3x shows).
5. Still too long: speak as fast as needed (the rate bound yields, never the text).
(Before all this, the translate stage asked for a shorter phrasing of lines predicted too long:
pipeline/phrasing.py; its `explain_phrasing` adds what came of it to each stretch's reason.)
Every line starts at its own source start mapped to the output timeline (less its lead), so
errors never accumulate: start drift is at most `max_lead`.
"""

from __future__ import annotations

from dataclasses import dataclass

from polydub.domain.timing import SegmentSlot, SegmentTiming, TimingPlan, VideoStretch

_EPS = 1e-6


@dataclass(frozen=True)
class TimingOptions:
    """Attributes:
    max_rate: the fastest speech rate asked of a voice before slowing video (1.25 = 25% faster).
    dynamic_duration: allow slowing video; False keeps the output exactly as long as the input.
    min_gap: silence kept between consecutive dubbed lines, in seconds.
    max_lead: how early a line may start, to borrow preceding silence.
    max_slowdown: the most any stretch of video is slowed (dynamic duration).
    """

    max_rate: float = 1.25
    dynamic_duration: bool = True
    min_gap: float = 0.1
    max_lead: float = 0.3
    max_slowdown: float = 1.3


def make_slots(spans: list[tuple[int, float, float]], range_end: float) -> list[SegmentSlot]:
    """Build slots from (index, start, end) spans sorted by start; the last runs to range_end."""
    slots = []
    for k, (index, start, end) in enumerate(spans):
        limit = spans[k + 1][1] if k + 1 < len(spans) else max(range_end, end)
        slots.append(SegmentSlot(index=index, start=start, end=end, limit=max(limit, start)))
    return slots


def solve_timing(
    slots: list[SegmentSlot],
    natural_durations: list[float],
    source_duration: float,
    options: TimingOptions = TimingOptions(),
    *,
    produced: list[tuple[float, float]] | None = None,
) -> TimingPlan:
    """Decide rate, placement and video slow-downs for every segment.

    Args:
        slots: the segments' rooms, sorted by start.
        natural_durations: the dub's length of each segment at rate 1.0 (same order).
        source_duration: length of the source media.
        options: bounds of the solution.
        produced: after re-synthesis, (rate, actual length) per segment. The voice's length at
            a rate is only roughly natural / rate, so the final plan is laid out on the real
            lengths; a line still too long for fixed duration gets a small `tempo` stretch.

    Returns:
        A plan whose lines never overlap, are never shortened, and start on time.
    """
    if len(slots) != len(natural_durations):
        raise ValueError("one natural duration per slot is required")
    if produced is not None and len(produced) != len(slots):
        raise ValueError("one produced (rate, duration) per slot is required")
    timings: list[SegmentTiming] = []
    stretches: list[VideoStretch] = []
    # Where the previous dub ends, on the source timeline (an overestimate after a stretch,
    # which only makes the next lead more cautious).
    prev_dub_end = 0.0
    for k, (slot, natural) in enumerate(zip(slots, natural_durations, strict=True)):
        gap = 0.0 if k + 1 == len(slots) else options.min_gap
        room = max(slot.limit - slot.start - gap, _EPS)
        free_before = max(0.0, slot.start - (prev_dub_end + options.min_gap)) if k else slot.start
        lead_room = min(options.max_lead, free_before)
        if produced is None:
            rate = _choose_rate(natural, room, lead_room, options)
            dub = natural / rate
        else:
            rate, dub = produced[k]
        lead, tempo = 0.0, 1.0
        if dub > room + _EPS and options.dynamic_duration:
            # A voice overshooting its asked length is first closed by a small tempo stretch,
            # while the line stays within max_rate.
            tempo = min(dub / room, max(1.0, options.max_rate / rate))
            dub /= tempo
        if dub > room + _EPS:
            lead = min(lead_room, dub - room)
        if dub > room + lead + _EPS and options.dynamic_duration:
            span = max(slot.limit - slot.start, _EPS)
            needed = (dub - lead + gap) / span
            factor = min(needed, options.max_slowdown)
            pause = max(0.0, slot.limit - slot.end - gap)
            stretches.append(
                VideoStretch(
                    start=slot.start,
                    end=slot.limit,
                    factor=factor,
                    segment=slot.index,
                    reason=_stretch_reason(dub, slot, pause, lead, rate * tempo, needed, options),
                    capped=needed > options.max_slowdown + _EPS,
                    pause_used=round(pause, 3),
                    early_start=round(lead, 3),
                )
            )
            room = span * factor - gap
        if dub > room + lead + _EPS:
            # Past every bound: the line is spoken faster still; the text is never cut.
            tempo *= dub / (room + lead)
            dub = room + lead
        timings.append(
            SegmentTiming(
                index=slot.index,
                source_start=slot.start,
                source_end=slot.end,
                natural_duration=natural,
                rate=rate,
                tempo=tempo,
                dub_duration=dub,
                lead=lead,
            )
        )
        prev_dub_end = slot.start - lead + dub
    plan = TimingPlan(
        segments=timings,
        stretches=_merge_stretches(stretches),
        source_duration=source_duration,
        max_rate=options.max_rate,
        dynamic_duration=options.dynamic_duration,
    )
    for t in plan.segments:
        t.output_start = plan.to_output_time(t.source_start) - t.lead
        t.output_end = t.output_start + t.dub_duration
    return plan


def _stretch_reason(
    dub: float,
    slot: SegmentSlot,
    pause: float,
    lead: float,
    rate: float,
    needed: float,
    options: TimingOptions,
) -> str:
    if lead > _EPS:
        limit = "the most allowed" if lead >= options.max_lead - _EPS else "all the silence"
        early = f"an early start of {lead:.2f}s ({limit})"
    else:
        early = "no early start (no free silence before it)"
    said = (
        f"the dub needs {dub:.2f}s at {rate:.2f}x speech rate (the fastest allowed: "
        f"{options.max_rate:.2f}x); the line lasts {slot.end - slot.start:.2f}s, the pause after "
        f"it gives {pause:.2f}s more, {early}; video slowed "
        f"{min(needed, options.max_slowdown):.2f}x for the rest"
    )
    if needed > options.max_slowdown + _EPS:
        said += (
            f" (it needed {needed:.2f}x, capped at {options.max_slowdown:.2f}x; the rest spoken "
            "faster)"
        )
    return said


def _choose_rate(natural: float, room: float, lead_room: float, options: TimingOptions) -> float:
    """The slowest rate (>= 1) that fits; past max_rate, video slows or the lead is used."""
    rate = max(1.0, natural / room)
    if rate <= options.max_rate:
        return rate
    if options.dynamic_duration:
        return options.max_rate
    return max(1.0, natural / (room + lead_room))


def _merge_stretches(stretches: list[VideoStretch]) -> list[VideoStretch]:
    """Drop empty stretches; stretches come from distinct slots, so they never overlap."""
    return [s for s in stretches if s.end - s.start > _EPS and s.factor > 1.0 + _EPS]
