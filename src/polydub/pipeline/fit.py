"""Stage 7, fit: apply the timing solver and produce each line's final audio."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from polydub.cancellation import carry_cancel, raise_if_cancelled
from polydub.media.stretch import stretch_to_duration
from polydub.pipeline.artifacts import (
    FitArtifact,
    IngestArtifact,
    SynthesisArtifact,
    SynthLine,
    TranslationArtifact,
)
from polydub.pipeline.synthesize import LineSynthesizer
from polydub.pipeline.timing import TimingOptions, make_slots, solve_timing

_RATE_EPS = 1e-3
# The fastest rate asked of a voice; beyond it (fixed duration only) the audio is stretched.
MAX_VOICE_RATE = 2.0
# Voices run 1-4% longer than natural / rate; asking this much faster usually lands on time.
OVERSHOOT_ALLOWANCE = 1.02
# A line already spoken up to this much faster than planned is kept (not re-synthesised).
RATE_SLACK = 0.08
# A line spoken up to this much slower than planned is kept: the layout closes the difference
# with a small tempo stretch (Rubber Band), which is transparent at a few percent.
TEMPO_SLACK = 1.05


def line_rooms(
    translated: TranslationArtifact, range_end: float, options: TimingOptions
) -> dict[int, float]:
    """Seconds each spoken segment has before the next one starts (less the gap)."""
    spoken = sorted(
        (s for s in translated.segments if s.translation.strip()), key=lambda s: s.start
    )
    slots = make_slots([(s.index, s.start, s.end) for s in spoken], range_end)
    return {
        slot.index: slot.limit - slot.start - (options.min_gap if k + 1 < len(slots) else 0.0)
        for k, slot in enumerate(slots)
    }


def rate_planner(translated: TranslationArtifact, ingested: IngestArtifact, options: TimingOptions):
    """The synthesize stage's RatePlanner: the rate each line needs, from the same solver and
    slots `fit` uses, on predicted natural lengths (segment index -> seconds)."""
    by_index = {seg.index: seg for seg in translated.segments}

    def plan(natural: dict[int, float]) -> dict[int, float]:
        order = sorted(natural, key=lambda i: by_index[i].start)
        spans = [(i, by_index[i].start, by_index[i].end) for i in order]
        slots = make_slots(spans, ingested.range_end)
        solved = solve_timing(slots, [natural[i] for i in order], ingested.info.duration, options)
        return {t.index: t.rate for t in solved.segments}

    return plan


def fit(
    ingested: IngestArtifact,
    translated: TranslationArtifact,
    synthesized: SynthesisArtifact,
    out_dir: Path,
    *,
    lines: LineSynthesizer,
    options: TimingOptions,
    workers: int = 1,
) -> FitArtifact:
    """Re-synthesise lines that must be faster, then lay out the plan on the real lengths."""
    by_index = {seg.index: seg for seg in translated.segments}
    natural = sorted(synthesized.lines, key=lambda ln: by_index[ln.index].start)
    spans = [(ln.index, by_index[ln.index].start, by_index[ln.index].end) for ln in natural]
    slots = make_slots(spans, ingested.range_end)
    # A line spoken at a guessed rate stands for its natural length times that rate, unless
    # the synthesize stage predicted its natural length (planned lines: usually kept as made).
    durations = [ln.natural if ln.natural else ln.duration * ln.rate for ln in natural]
    first = solve_timing(slots, durations, ingested.info.duration, options)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        produced_lines = list(
            pool.map(
                carry_cancel(
                    lambda pair: _respeak_if_needed(
                        lines,
                        by_index[pair[0].index].translation,
                        translated.target_language,
                        pair[0],
                        pair[1].rate,
                        options.max_rate,
                    )
                ),
                zip(natural, first.segments, strict=True),
            )
        )
    plan = solve_timing(
        slots,
        durations,
        ingested.info.duration,
        options,
        produced=[(ln.rate, ln.duration) for ln in produced_lines],
    )

    fitted: list[SynthLine] = []
    for ln, timing in zip(produced_lines, plan.segments, strict=True):
        raise_if_cancelled()
        if timing.tempo > 1.0 + _RATE_EPS:
            path = stretch_to_duration(
                ln.path, out_dir / f"line_{ln.index:05d}.wav", timing.dub_duration
            )
            ln = ln.model_copy(update={"path": path, "duration": timing.dub_duration})
        fitted.append(ln)
    return FitArtifact(plan=plan, lines=fitted)


def _respeak_if_needed(
    lines: LineSynthesizer,
    text: str,
    language: str,
    line: SynthLine,
    rate: float,
    max_rate: float,
) -> SynthLine:
    """Keep a line spoken near the planned rate; otherwise re-synthesise it at that rate, aimed
    a little fast: voices come out 1-4% longer than natural / rate (measured on Kokoro)."""
    if line.rate - RATE_SLACK <= rate <= line.rate * TEMPO_SLACK:
        return line
    asked = 1.0
    if rate > 1.0 + _RATE_EPS:
        asked = min(rate * OVERSHOOT_ALLOWANCE, max(max_rate, rate), MAX_VOICE_RATE)
    return lines.speak(text, language=language, voice_id=line.voice, rate=asked, index=line.index)
