"""Partial re-dubs: a dub of the same video with the same settings, differing only by proofread
edits, redoes the edited lines (and the neighbours whose timing moved) and reuses the rest.

Stage checkpoints are keyed by their inputs, so an edit makes every downstream stage a new
checkpoint; what is reused is kept here, per "variant" (source side, target, options less the
edits), in `<target dir>/partial/<variant>.json`: each stage's result with the inputs it was
made from. The next run of the variant compares its own inputs with them:

- synthesize: a line whose text, voice and room are unchanged keeps its audio (the previous
  run's rate guess included; the rate guess of a full run depends on the lines before it, so
  the line cache alone would re-speak every line after an edit);
- lipsync: the previous run's redrawn frames are kept outside the changed lines' time ranges
  and the slow-downs that changed (pipeline/frame_reuse.py);
- fit, mix, render and the report run whole: fit's lines come from the line cache, and mix is
  a few seconds of audio arithmetic (the report's `partial_redub.stages` shows it).

`RedubRecord` collects what was redone and reused, and the seconds of each stage, for the report.
"""

from __future__ import annotations

import dataclasses
import filecmp
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from polydub.pipeline import synthesize as synthesize_stage
from polydub.pipeline.artifacts import (
    FitArtifact,
    SynthesisArtifact,
    SynthLine,
    TranslationArtifact,
)
from polydub.pipeline.checkpoint import content_key
from polydub.pipeline.runner import StageRunner
from polydub.pipeline.segment_edits import line_voices, normalised
from polydub.storage.atomic import write_text_atomic

# Seconds of picture redrawn around a changed line, beyond its sound: the mouth opens before
# speech and closes after it.
LIP_MARGIN = 0.25
_EPS = 1e-3
# Options that change only the render (not the speech or the picture): a variant ignores them.
RENDER_ONLY = ("edits", "embed_captions", "watermark", "keep_format", "targets")


class SynthesisMemory(BaseModel):
    texts: dict[int, str]
    voices: dict[int, str]  # segment index -> the voice that spoke it
    rooms: dict[int, float]
    artifact: SynthesisArtifact


class LipSyncMemory(BaseModel):
    fitted: FitArtifact  # what the frames were drawn for
    artifact: dict  # the LipSyncArtifact (a dict: lipsync_stage imports this module's users)


class RedubRecord(BaseModel):
    """The report's `partial_redub` section (for the run that made `key`)."""

    previous_run: bool = False
    segments_redone: list[int] = Field(default_factory=list)
    segments_reused: list[int] = Field(default_factory=list)
    lipsync_segments_redrawn: list[int] | None = None
    lipsync_ranges: list[tuple[float, float]] | None = None  # source seconds redrawn
    stages: dict[str, float] = Field(default_factory=dict)  # seconds, stages that ran


class Memory(BaseModel):
    synthesis: SynthesisMemory | None = None
    lipsync: LipSyncMemory | None = None


def variant_key(diarization_key: str, target: str, options) -> str:
    """Dubs of one variant differ only by their proofread edits (and render-only options)."""
    base = dataclasses.replace(options, **{name: _empty(name) for name in RENDER_ONLY})
    return content_key({"up": diarization_key, "target": target, "options": base})


def _empty(name: str):
    return {"edits": {}, "targets": ()}.get(name, False)


class PartialRedub:
    """One target's run: the previous run of its variant, and what this run reuses of it."""

    def __init__(self, directory: Path, variant: str, run_key: str, edits: dict) -> None:
        self.directory = directory
        self.path = directory / f"{variant[:20]}.json"
        self.record_path = directory / f"run-{run_key[:20]}.json"
        self.line_voices = line_voices(normalised(edits))
        self.memory = _load(self.path, Memory) or Memory()
        self.record = _load(self.record_path, RedubRecord) or RedubRecord()

    @classmethod
    def open(cls, runner: StageRunner, shared, target: str, options, k_tr: str) -> PartialRedub:
        variant = variant_key(shared.diarization_key, target, options)
        return cls(
            runner.target_dir(target) / "partial", variant, k_tr, options.edits.get(target, {})
        )

    # -- synthesize ------------------------------------------------------------------------------

    def synthesize(
        self,
        translated: TranslationArtifact,
        speakers: list[str],
        *,
        lines: synthesize_stage.LineSynthesizer,
        assign_voices: synthesize_stage.VoiceAssigner,
        rooms: dict[int, float],
        plan_rates: synthesize_stage.RatePlanner | None = None,
        max_rate: float,
        workers: int,
        progress: Callable[[float], None],
    ) -> SynthesisArtifact:
        """The synthesize stage, reusing the previous run's lines that did not change and
        speaking each line with the voice chosen for it (a proofread edit) or its speaker's."""
        voices = assign_voices(speakers)
        spoken = [s for s in translated.segments if s.translation.strip()]
        wanted = {s.index: self.line_voices.get(s.index) or voices[s.speaker] for s in spoken}
        kept = self._reusable_lines(spoken, wanted, rooms)
        todo = [s for s in spoken if s.index not in kept]
        if not kept and not self.line_voices:
            made = synthesize_stage.synthesize(
                translated,
                speakers,
                lines=lines,
                assign_voices=assign_voices,
                rooms=rooms,
                plan_rates=plan_rates,
                max_rate=max_rate,
                workers=workers,
                progress=progress,
            )
        else:
            # Each line's voice as its "speaker": the stage speaks the lines left to do alone.
            relabelled = [s.model_copy(update={"speaker": wanted[s.index]}) for s in todo]
            subset = translated.model_copy(update={"segments": relabelled})
            made = synthesize_stage.synthesize(
                subset,
                sorted({wanted[s.index] for s in todo}),
                lines=lines,
                assign_voices=lambda labels: {label: label for label in labels},
                rooms=rooms,
                plan_rates=_with_kept_lines(plan_rates, kept),
                max_rate=max_rate,
                workers=workers,
                progress=progress,
            )
        by_index = {line.index: line for line in made.lines} | kept
        artifact = SynthesisArtifact(
            voices=voices, lines=[by_index[s.index] for s in spoken if s.index in by_index]
        )
        self.record.previous_run = self.memory.synthesis is not None
        self.record.segments_redone = [s.index for s in todo]
        self.record.segments_reused = sorted(kept)
        self.memory.synthesis = SynthesisMemory(
            texts={s.index: s.translation for s in spoken},
            voices=wanted,
            rooms={i: rooms[i] for i in wanted if i in rooms},
            artifact=artifact,
        )
        self._save()
        return artifact

    def _reusable_lines(
        self, spoken: list, wanted: dict[int, str], rooms: dict[int, float]
    ) -> dict[int, SynthLine]:
        before = self.memory.synthesis
        if before is None:
            return {}
        return reusable_lines(before, spoken, wanted, rooms)

    # -- lipsync ---------------------------------------------------------------------------------

    def frame_reuse(self, fitted: FitArtifact):
        """What the lipsync stage may keep of the previous run's frames (a FrameReuse), or
        None to redraw every frame."""
        from polydub.pipeline.frame_reuse import FrameReuse

        before = self.memory.lipsync
        video = (before.artifact.get("video") if before else None) or None
        if before is None or video is None or not Path(video).is_file():
            return None
        ranges = redraw_ranges(before.fitted, fitted)
        self.record.lipsync_segments_redrawn = sorted(changed_lines(before.fitted, fitted))
        self.record.lipsync_ranges = [(round(a, 3), round(b, 3)) for a, b in ranges]
        self._save()
        on_output = before.artifact.get("on_output_timeline")
        return FrameReuse(Path(video), ranges, before.fitted.plan if on_output else None)

    def remember_lipsync(self, fitted: FitArtifact, artifact: BaseModel | None) -> None:
        if artifact is None:
            return
        self.memory.lipsync = LipSyncMemory(
            fitted=fitted, artifact=artifact.model_dump(mode="json")
        )
        self._save()

    # -- the report ------------------------------------------------------------------------------

    def stage_seconds(self, runner: StageRunner, target: str) -> dict:
        """The report section: this run's record, with the seconds of the stages that ran
        (in this process, or in the step before it for a dub split over two workers)."""
        for outcome in runner.outcomes:
            if outcome.directory is not None and _in_target(outcome.directory, target):
                if not outcome.cached:
                    self.record.stages[outcome.name] = round(outcome.seconds, 3)
        self._save()
        return self.record.model_dump(mode="json")

    def _save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, self.memory.model_dump_json())
        write_text_atomic(self.record_path, self.record.model_dump_json())


def _in_target(directory: Path, target: str) -> bool:
    return f"targets/{target}" in directory.as_posix()


def _load(path: Path, model):
    try:
        return model.model_validate_json(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


# -- which lines a run redoes (pure) ------------------------------------------------------------


def reusable_lines(
    before: SynthesisMemory, spoken: list, wanted: dict[int, str], rooms: dict[int, float]
) -> dict[int, SynthLine]:
    """Segment index -> the previous line, for lines spoken with the same text and voice in a
    room of the same length (the rate guess depends on it) whose audio is still there."""
    lines = {line.index: line for line in before.artifact.lines}
    kept = {}
    for seg in spoken:
        line = lines.get(seg.index)
        if (
            line is not None
            and before.texts.get(seg.index) == seg.translation
            and before.voices.get(seg.index) == wanted[seg.index]
            and abs(before.rooms.get(seg.index, -1.0) - rooms.get(seg.index, -1.0)) < _EPS
            and line.path.is_file()
        ):
            kept[seg.index] = line
    return kept


def changed_lines(before: FitArtifact, after: FitArtifact) -> set[int]:
    """Lines that sound different, or elsewhere against the picture: their start and end are
    compared on the source timeline, so a line merely moved along by a slow-down before it
    (its picture moved with it) is unchanged."""
    old = {t.index: t for t in before.plan.segments}
    new = {t.index: t for t in after.plan.segments}
    old_audio = {line.index: line for line in before.lines}
    new_audio = {line.index: line for line in after.lines}
    changed = set(old) ^ set(new)
    for index in set(old) & set(new):
        a, b = _source_span(before, old[index]), _source_span(after, new[index])
        moved = any(abs(x - y) > _EPS for x, y in zip(a, b, strict=True))
        if moved or not _same_audio(old_audio.get(index), new_audio.get(index)):
            changed.add(index)
    return changed


def _source_span(fitted: FitArtifact, timing) -> tuple[float, float, float]:
    plan = fitted.plan
    return (
        plan.to_source_time(timing.output_start),
        plan.to_source_time(timing.output_end),
        timing.dub_duration,
    )


def _same_audio(a: SynthLine | None, b: SynthLine | None) -> bool:
    if a is None or b is None:
        return a is b
    if abs(a.duration - b.duration) > _EPS:
        return False
    if a.path == b.path:
        return True
    # A stretched line lives in its fit checkpoint: the same sound under another name.
    return a.path.is_file() and b.path.is_file() and filecmp.cmp(a.path, b.path, shallow=False)


def redraw_ranges(before: FitArtifact, after: FitArtifact) -> list[tuple[float, float]]:
    """Source-time ranges whose frames must be redrawn: the changed lines, before and after,
    with LIP_MARGIN, merged. (Frames whose slow-down changed are redrawn too: their output
    frames differ in number, see pipeline/frame_reuse.py.)"""
    old = {t.index: t for t in before.plan.segments}
    new = {t.index: t for t in after.plan.segments}
    spans = []
    for index in sorted(changed_lines(before, after)):
        ends = [_source_span(before, old[index])] if index in old else []
        ends += [_source_span(after, new[index])] if index in new else []
        start = min(a for a, _, _ in ends) - LIP_MARGIN
        end = max(b for _, b, _ in ends) + LIP_MARGIN
        spans.append((max(0.0, start), end))
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _with_kept_lines(plan_rates, kept: dict[int, SynthLine]):
    """The planner for the lines left to speak, planning them beside the kept lines (as their
    own lengths), so a redone line's room ends at its kept neighbour, as in a full run."""
    if plan_rates is None:
        return None
    lengths = {i: line.natural or line.duration * line.rate for i, line in kept.items()}

    def plan(natural: dict[int, float]) -> dict[int, float]:
        rates = plan_rates({**lengths, **natural})
        return {i: rates[i] for i in natural}

    return plan
