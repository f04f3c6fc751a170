"""Proofreading: the translated script before any voice is made, and edits mapped back.

`translate_only` runs the source side and the translate stage with the very checkpoints a full
dub uses, so generating the video afterwards starts at synthesis.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import srt

from polydub.domain.transcript import Segment
from polydub.pipeline.artifacts import TranslationArtifact
from polydub.pipeline.dub_options import DubOptions, workspace_for
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.runner import ProgressCallback, StageRunner
from polydub.pipeline.source_side import run_source_side
from polydub.pipeline.srt_script import NumberedCue, texts_from_cues
from polydub.pipeline.target_side import run_translate_stage


def translate_only(
    source: Path,
    options: DubOptions,
    engines: EngineSet,
    *,
    work_root: Path,
    on_event: ProgressCallback = lambda e: None,
    should_cancel: Callable[[], bool] = lambda: False,
) -> dict[str, TranslationArtifact]:
    """ingest .. diarize, then translate for every target of `options`; no voices, no video."""
    runner = StageRunner(workspace_for(source, work_root), on_event, should_cancel)
    shared = run_source_side(runner, source, options, engines)
    return {
        target: run_translate_stage(runner, shared, target, options, engines)[0]
        for target in options.targets
    }


def proofread_srt(translated: TranslationArtifact) -> str:
    """The translation as SRT: one cue per segment, on the SOURCE segment's times, numbered
    segment index + 1 so an edited file maps back by number. Silent segments have no cue."""
    subs = [
        srt.Subtitle(s.index + 1, timedelta(seconds=s.start), timedelta(seconds=s.end), text)
        for s in translated.segments
        if (text := s.translation.strip())
    ]
    return srt.compose(subs, reindex=False)


def edits_from_cues(segments: list[Segment], cues: list[NumberedCue]) -> dict[int, str]:
    """Segment index -> edited translation, for the segments whose text the cues change."""
    texts = texts_from_cues(segments, cues, by_number=True)
    current = {s.index: " ".join(s.translation.split()) for s in segments}
    return {index: text for index, text in texts.items() if text != current.get(index)}
