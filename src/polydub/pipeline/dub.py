"""The dubbing pipeline: source-side stages once, then target-side stages per language.

Every stage runs through the checkpointing runner, keyed by its upstream stage's key and its
own settings, so a rerun resumes after the last finished stage and a new target language reuses
the source side (ingest .. diarize).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from polydub.domain.glossary import Glossary
from polydub.pipeline import diarize as diarize_stage
from polydub.pipeline import fit as fit_stage
from polydub.pipeline import ingest as ingest_stage
from polydub.pipeline import lipsync_stage
from polydub.pipeline import mix as mix_stage
from polydub.pipeline import render as render_stage
from polydub.pipeline import separate as separate_stage
from polydub.pipeline import synthesize as synthesize_stage
from polydub.pipeline import transcribe as transcribe_stage
from polydub.pipeline import translate as translate_stage
from polydub.pipeline.artifacts import (
    DiarizationArtifact,
    FitArtifact,
    IngestArtifact,
    MixArtifact,
    RenderArtifact,
    SeparationArtifact,
    SynthesisArtifact,
    TranscriptArtifact,
    TranslationArtifact,
)
from polydub.pipeline.checkpoint import content_key, file_key
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.quality import QualityArtifact, measure_quality
from polydub.pipeline.report import DubResult, SourceSide, TargetSide, build_report, publish
from polydub.pipeline.runner import ProgressCallback, StageEvent, StageRunner
from polydub.pipeline.srt_script import (
    apply_edits,
    read_numbered_srt,
    transcript_from_srt,
    translation_from_srt,
)
from polydub.pipeline.timing import TimingOptions
from polydub.pipeline.voice_plan import target_voice_assigner

SOURCE_STAGES = ("ingest", "separate", "transcribe", "diarize")
TARGET_STAGES = ("translate", "synthesize", "fit", "mix", "lipsync", "render", "report")

__all__ = ["DubOptions", "DubResult", "StageEvent", "dub", "SOURCE_STAGES", "TARGET_STAGES"]


@dataclass(frozen=True)
class DubOptions:
    """What to make; each field is the CLI face of a HeyGen request field."""

    targets: tuple[str, ...]  # ISO 639-1 codes
    source_language: str | None = None
    mode: str = "speed"  # "speed" | "precision"
    speakers: int | None = None
    start: float | None = None
    end: float | None = None
    audio_only: bool = False
    keep_music: bool = True
    enhance: bool = False
    keep_format: bool = False
    dynamic_duration: bool = True
    glossary: Glossary | None = None
    max_rate: float = 1.25
    target_lufs: float = -16.0
    # Proofread edits: target code -> segment index -> the reviewed translation.
    edits: dict[str, dict[int, str]] = field(default_factory=dict)
    source_srt: Path | None = None  # srt_role "input": the source transcript, no ASR
    output_srt: Path | None = None  # srt_role "output": the translation, no MT
    dub_audio: Path | None = None  # the user's own dubbing audio: no MT, no TTS
    fps_mode: str | None = None  # "vfr" | "cfr" | "passthrough" (with dub_audio)
    watermark: bool = False
    embed_captions: bool = False  # a soft subtitle track in the video
    voice_ids: tuple[str, ...] = ()  # preferred stock voices ("kokoro:ef_dora")
    use_stock_voice: bool = False  # stock voices instead of voices matched to each speaker
    saved_voices: tuple[tuple[str, str], ...] = ()  # (speaker, registry name) to reuse

    @property
    def beam_size(self) -> int:
        return 5 if self.mode == "precision" else 1

    @property
    def timing(self) -> TimingOptions:
        # Audio-only output keeps every frame, so video can never be slowed.
        dynamic = self.dynamic_duration and not self.audio_only
        return TimingOptions(max_rate=self.max_rate, dynamic_duration=dynamic)


def workspace_for(source: Path, work_root: Path) -> Path:
    """A source's workspace is named by its content, so renaming a file keeps its checkpoints."""
    return work_root / file_key(source)[:20]


def dub(
    source: Path,
    options: DubOptions,
    engines: EngineSet,
    *,
    work_root: Path,
    output_stem: Path,
    on_event: ProgressCallback = lambda e: None,
    should_cancel: Callable[[], bool] = lambda: False,
    stop_after: str | None = None,
) -> list[DubResult]:
    """Dub `source` into every target language of `options`.

    Writes `<output_stem>.<lang>.mp4` (or the source's extension with keep_format), `.srt`,
    `.vtt` and `.report.json` per target, and returns where they are.

    Args:
        stop_after: a target stage (e.g. "mix") after which each target stops, leaving its
            checkpoints and no outputs: a worker hands the rest to another (a GPU worker for
            lipsync), whose own dub() call reuses them. A target that never reaches that stage
            (audio-only output skips lipsync) runs to the end and is returned.

    Raises:
        ValueError: `stop_after` is not a target stage.
    """
    if stop_after is not None and stop_after not in TARGET_STAGES:
        raise ValueError(f"stop_after must be one of {', '.join(TARGET_STAGES)}: {stop_after!r}")
    if stop_after is not None:
        on_event = _stopping_after(stop_after, on_event)
    runner = StageRunner(workspace_for(source, work_root), on_event, should_cancel)
    # Voice matching runs between stages: the whole run is in scope of the job's cancel.
    with runner.cancellable():
        extension = source.suffix.lower() if options.keep_format else ".mp4"
        if options.dub_audio is not None:
            from polydub.pipeline import custom_audio

            shared = custom_audio.run_audio_source_side(runner, source, options, engines)
            side = custom_audio.run_audio_target_side
        else:
            shared = run_source_side(runner, source, options, engines)
            side = run_target_side
        results = []
        for target in options.targets:
            try:
                dubbed = side(runner, shared, target, options, engines, extension)
            except _StageLimitReached:
                continue
            report = build_report(shared, dubbed, mode=options.mode, outcomes=runner.outcomes)
            results.append(publish(dubbed, report, output_stem, extension))
        return results


class _StageLimitReached(Exception):
    """A target finished the stage dub() was asked to stop after."""


def _stopping_after(stage: str, on_event: ProgressCallback) -> ProgressCallback:
    """`on_event`, then a stop once a target's `stage` is done: the side functions run their
    stages in one chain, so this is where a target's run can end early without changing them."""

    def call(event: StageEvent) -> None:
        on_event(event)
        if event.stage == stage and event.target is not None and event.status == "done":
            raise _StageLimitReached(stage)

    return call


def run_ingest_and_separate(
    runner: StageRunner, source: Path, options: DubOptions, engines: EngineSet
) -> tuple[IngestArtifact, SeparationArtifact, str]:
    """ingest -> separate; returns their artifacts and the separation's checkpoint key."""
    ingested, k_ingest = runner.run(
        "ingest",
        None,
        {"source": runner.workspace.name, "start": options.start, "end": options.end},
        lambda d: ingest_stage.ingest(source, d, start=options.start, end=options.end),
        IngestArtifact,
    )
    # A checkpoint may come from the same content at another path (a re-download, a rename).
    ingested = ingested.model_copy(update={"source": source})
    separated, k_sep = runner.run(
        "separate",
        None,
        {"up": k_ingest, "enhance": options.enhance},
        lambda d: separate_stage.separate(
            ingested,
            d,
            separator=engines.separator,
            enhancer=engines.enhancer if options.enhance else None,
        ),
        SeparationArtifact,
    )
    return ingested, separated, k_sep


def run_source_side(
    runner: StageRunner, source: Path, options: DubOptions, engines: EngineSet
) -> SourceSide:
    """ingest -> separate -> transcribe -> diarize, shared by every target language."""
    ingested, separated, k_sep = run_ingest_and_separate(runner, source, options, engines)
    if options.source_srt is not None:
        transcribed, k_asr = runner.run(
            "transcribe",
            None,
            {"up": k_sep, "language": options.source_language, "srt": file_key(options.source_srt)},
            lambda d: transcript_artifact_from_srt(
                options.source_srt, ingested, separated, options.source_language, engines
            ),
            TranscriptArtifact,
        )
    else:
        transcribed, k_asr = runner.run(
            "transcribe",
            None,
            {
                "up": k_sep,
                "language": options.source_language,
                "beam": options.beam_size,
                "model": str(engines.settings.whisper_model_dir or "bundled-base"),
            },
            lambda d: transcribe_stage.transcribe(
                ingested,
                separated,
                transcriber=engines.transcriber,
                language=options.source_language,
                beam_size=options.beam_size,
            ),
            TranscriptArtifact,
        )
    diarized, k_dia = runner.run(
        "diarize",
        None,
        {"up": k_asr, "speakers": options.speakers, "method": diarize_stage.METHOD},
        lambda d: diarize_stage.diarize(
            transcribed, separated, d, speakers=options.speakers, encoder=engines.speaker_encoder
        ),
        DiarizationArtifact,
    )
    return SourceSide(ingested, separated, diarized, k_sep, k_dia)


def transcript_artifact_from_srt(
    srt_path: Path,
    ingested: IngestArtifact,
    separated: SeparationArtifact,
    language: str | None,
    engines: EngineSet,
) -> TranscriptArtifact:
    """srt_role "input": the cues are the transcript; only the language may need the ASR model
    (detected on the first 30 s of the speech stem when input_language is not given)."""
    detected, probability = language, 1.0
    if language is None:
        from polydub.engines.asr.base import ASR_SAMPLE_RATE
        from polydub.media.audio import decode_audio

        start = ingested.range_start
        audio = decode_audio(separated.speech_wav, ASR_SAMPLE_RATE, start=start, end=start + 30)
        detected, probability = engines.transcriber.detect_language(audio.samples)
    cues = read_numbered_srt(srt_path)
    transcript = transcript_from_srt(cues, detected, ingested.range_start, ingested.range_end)
    transcript = transcript.model_copy(
        update={"language_detected": language is None, "language_probability": probability}
    )
    return TranscriptArtifact(transcript=transcript, engine="srt", beam_size=0)


def run_translate_stage(
    runner: StageRunner,
    shared: SourceSide,
    target: str,
    options: DubOptions,
    engines: EngineSet,
) -> tuple[TranslationArtifact, str]:
    """The translate stage of one target: machine translation (or the user's output SRT), then
    the proofread edits of that target.

    Edits are applied to the checkpointed translation rather than inside it, so an edit does
    not re-run MT; the returned key includes them, so everything downstream sees the change
    (and the line cache of the synthesize stage re-speaks only the edited lines).
    """
    source_language = shared.diarized.transcript.language
    if options.output_srt is not None:
        srt_path = options.output_srt
        translated, k_tr = runner.run(
            "translate",
            target,
            {"up": shared.diarization_key, "srt": file_key(srt_path)},
            lambda d: translation_from_srt(
                shared.diarized.transcript.segments,
                read_numbered_srt(srt_path),
                source_language,
                target,
            ),
            TranslationArtifact,
        )
    else:
        translator = (
            None if source_language == target else engines.translator_for(source_language, target)
        )
        translated, k_tr = runner.run(
            "translate",
            target,
            {
                "up": shared.diarization_key,
                "engine": translator.name if translator else "identity",
                "glossary": options.glossary,
                "max_rate": options.max_rate,
            },
            lambda d: translate_stage.translate(
                shared.diarized,
                translator=translator,
                target=target,
                glossary=options.glossary,
                max_rate=options.max_rate,
            ),
            TranslationArtifact,
        )
    edits = {int(k): v for k, v in options.edits.get(target, {}).items()}
    if edits:
        translated = apply_edits(translated, edits)
        k_tr = content_key({"up": k_tr, "edits": sorted(edits.items())})
    return translated, k_tr


def run_target_side(
    runner: StageRunner,
    shared: SourceSide,
    target: str,
    options: DubOptions,
    engines: EngineSet,
    extension: str,
) -> TargetSide:
    """translate -> synthesize -> fit -> mix -> render -> report for one target language."""
    translated, k_tr = run_translate_stage(runner, shared, target, options, engines)
    lines = synthesize_stage.LineSynthesizer(
        engines.synthesizers, runner.target_dir(target) / "lines"
    )
    assign = target_voice_assigner(target, options, engines, shared.diarized)
    timing = options.timing
    rooms = fit_stage.line_rooms(translated, shared.ingested.range_end, timing)
    synthesized, k_syn = runner.run(
        "synthesize",
        target,
        {"up": k_tr, "voices": assign(shared.diarized.speakers), "max_rate": timing.max_rate},
        lambda d: synthesize_stage.synthesize(
            translated,
            shared.diarized.speakers,
            lines=lines,
            assign_voices=assign,
            rooms=rooms,
            max_rate=timing.max_rate,
            workers=engines.settings.synthesis_workers,
            progress=runner.progress("synthesize", target),
        ),
        SynthesisArtifact,
    )
    fitted, k_fit = runner.run(
        "fit",
        target,
        {"up": k_syn, "timing": timing},
        lambda d: fit_stage.fit(
            shared.ingested,
            translated,
            synthesized,
            d,
            lines=lines,
            options=timing,
            workers=engines.settings.synthesis_workers,
        ),
        FitArtifact,
    )
    mixed, rendered, k_render, synced = run_mix_and_render(
        runner, shared, target, options, translated, fitted, k_fit, extension, engines
    )
    quality, _ = runner.run(
        "report",
        target,
        {"up": k_render},
        lambda d: measure_quality(translated, fitted, mixed, engines.transcriber).model_copy(
            update={
                "speakers": dub_speaker_similarity(shared, translated, fitted, synthesized, engines)
            }
        ),
        QualityArtifact,
    )
    return TargetSide(
        target, translated, synthesized, fitted, mixed, rendered, quality, lipsync=synced
    )


def dub_speaker_similarity(
    shared: SourceSide,
    translated: TranslationArtifact,
    fitted: FitArtifact,
    synthesized: SynthesisArtifact,
    engines: EngineSet,
) -> list:
    """The per-speaker voice figures of the quality report (speaker_similarity)."""
    from polydub.pipeline.speaker_similarity import speaker_similarity
    from polydub.pipeline.voice_plan import match_details

    return speaker_similarity(
        shared.diarized.profiles,
        translated,
        fitted,
        synthesized.voices,
        engines.speaker_encoders,
        match_details(synthesized.voices, engines),
    )


def render_settings(options: DubOptions) -> dict:
    """The render stage's options; they are part of its checkpoint key."""
    return {
        "keep_format": options.keep_format,
        "watermark": options.watermark,
        "embed_captions": options.embed_captions,
        # fps_mode applies only to the user's own audio, as in the reference.
        "fps_mode": options.fps_mode if options.dub_audio is not None else None,
    }


def run_mix_and_render(
    runner: StageRunner,
    shared: SourceSide,
    target: str,
    options: DubOptions,
    translated: TranslationArtifact,
    fitted: FitArtifact,
    k_fit: str,
    extension: str,
    engines: EngineSet,
    *,
    captions: tuple[TranslationArtifact, str] | None = None,
) -> tuple[MixArtifact, RenderArtifact, str, lipsync_stage.LipSyncArtifact | None]:
    """mix -> lipsync -> render of one target, whatever produced its fitted speech.

    `captions` (segments on the output timeline, and their stage key) replace the captions
    made from the translated script, for a dub whose speech has no script (the user's audio).
    """
    mixed, k_mix = runner.run(
        "mix",
        target,
        {
            "up": k_fit,
            "sep": shared.separation_key,
            "music": options.keep_music,
            "lufs": options.target_lufs,
        },
        lambda d: mix_stage.mix(
            shared.ingested,
            shared.separated,
            fitted,
            d,
            keep_music=options.keep_music,
            target_lufs=options.target_lufs,
        ),
        MixArtifact,
    )
    synced, k_picture = run_lipsync_stage(
        runner, shared, target, options, engines, fitted, mixed, k_mix
    )
    cues = heard_cues(captions[0]) if captions else None
    rendered, k_render = runner.run(
        "render",
        target,
        {
            "up": k_picture,
            "ext": extension,
            **render_settings(options),
            **({"captions": captions[1]} if captions else {}),
        },
        lambda d: render_stage.render(
            shared.ingested,
            translated,
            fitted,
            mixed,
            d,
            extension=extension,
            picture=synced.video if synced else None,
            picture_warped=bool(synced and synced.on_output_timeline),
            cues=cues,
            **render_settings(options),
        ),
        RenderArtifact,
    )
    return mixed, rendered, k_render, synced


def heard_cues(heard: TranslationArtifact) -> list:
    """Caption cues of segments already timed on the output timeline."""
    from polydub.subtitles.captions import split_into_cues

    return [cue for s in heard.segments for cue in split_into_cues(s.translation, s.start, s.end)]


def run_lipsync_stage(
    runner: StageRunner,
    shared: SourceSide,
    target: str,
    options: DubOptions,
    engines: EngineSet,
    fitted: FitArtifact,
    mixed: MixArtifact,
    k_up: str,
) -> tuple[lipsync_stage.LipSyncArtifact | None, str]:
    """The lipsync stage (skipped for audio-only output or a source without video): returns
    its artifact (None: render uses the source's picture) and the key render builds on."""
    if options.audio_only or shared.ingested.info.video is None:
        return None, k_up
    model = engines.settings.lipsync_model
    synced, k_sync = runner.run(
        "lipsync",
        target,
        {
            "up": k_up,
            "mode": options.mode,
            "engine": lipsync_stage.ENGINE_VERSION,
            "model": file_key(model) if model else None,
        },
        lambda d: lipsync_stage.lipsync(
            shared.ingested,
            shared.separated,
            fitted,
            mixed,
            d,
            mode=options.mode,
            model=model,
            device=engines.settings.lipsync_device,
            progress=runner.progress("lipsync", target),
            # The scan depends on the source alone: every target of it shares one (on this
            # machine: scans are large and quick to redo, so they stay out of the blob store).
            scan_cache=runner.workspace / "face-scans",
        ),
        lipsync_stage.LipSyncArtifact,
    )
    return synced, k_sync
