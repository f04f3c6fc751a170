"""The target side of a dub: translate -> synthesize -> fit -> mix and lipsync (side by side,
both from fit) -> render -> report for one language, from the shared source side."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from polydub.cancellation import CancelCheck
from polydub.engines.mt.base import Translator
from polydub.errors import JobCancelled, UnsupportedLanguageError
from polydub.media.encode import AAC_CONTAINERS
from polydub.pipeline import fit as fit_stage
from polydub.pipeline import lipsync_stage
from polydub.pipeline import mix as mix_stage
from polydub.pipeline import render as render_stage
from polydub.pipeline import synthesize as synthesize_stage
from polydub.pipeline import translate as translate_stage
from polydub.pipeline.artifacts import (
    FitArtifact,
    MixArtifact,
    RenderArtifact,
    SynthesisArtifact,
    TranslationArtifact,
)
from polydub.pipeline.checkpoint import content_key, file_key
from polydub.pipeline.dub_options import DubOptions
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.partial_redub import PartialRedub
from polydub.pipeline.quality import QualityArtifact, measure_quality
from polydub.pipeline.report import SourceSide, TargetSide
from polydub.pipeline.report_ahead import QualityAhead
from polydub.pipeline.runner import StageRunner
from polydub.pipeline.segment_edits import apply_segment_edits, normalised
from polydub.pipeline.srt_script import read_numbered_srt, translation_from_srt
from polydub.pipeline.stage_beside import StageBeside
from polydub.pipeline.voice_plan import VoicesArtifact, choose_voices, voices_stage_inputs
from polydub.pipeline.voices import speaks

logger = logging.getLogger(__name__)


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
        back_translator = (
            None if translator is None else _back_translator(engines, target, source_language)
        )
        translated, k_tr = runner.run(
            "translate",
            target,
            {
                "up": shared.diarization_key,
                "engine": translator.name if translator else "identity",
                "units": "sentences",  # whole sentences, split back over segments
                "back": back_translator.name if back_translator else None,
                "glossary": options.glossary,
                "max_rate": options.max_rate,
                # Lines too long for their time are asked again, shorter (pipeline/phrasing.py).
                "shorten": (options.timing.min_gap, options.timing.max_lead),
            },
            lambda d: translate_stage.translate(
                shared.diarized,
                translator=translator,
                target=target,
                glossary=options.glossary,
                max_rate=options.max_rate,
                back_translator=back_translator,
                timing=options.timing,
            ),
            TranslationArtifact,
        )
    edits = normalised(options.edits.get(target, {}))
    if edits:
        translated = apply_segment_edits(translated, edits)
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
    """translate -> synthesize -> fit -> mix + lipsync -> render -> report for one target
    language."""
    translated, k_tr = run_translate_stage(runner, shared, target, options, engines)
    redub = PartialRedub.open(runner, shared, target, options, k_tr)
    lines = synthesize_stage.LineSynthesizer(
        engines.synthesizers, runner.target_dir(target) / "lines"
    )
    chosen, _ = runner.run(
        "voices",
        target,
        {"up": shared.diarization_key, **voices_stage_inputs(options, engines)},
        lambda d: choose_voices(target, options, engines, shared.diarized),
        VoicesArtifact,
    )
    if not all(speaks(v, target, engines.synthesizers) for v in chosen.voices.values()):
        # A checkpoint naming a matched voice whose cache was cleared: choose again.
        chosen = choose_voices(target, options, engines, shared.diarized)

    def assign(speakers: list[str]) -> dict[str, str]:
        return {s: v for s, v in chosen.voices.items() if s in speakers}

    timing = options.timing
    rooms = fit_stage.line_rooms(translated, shared.ingested.range_end, timing)
    synthesized, k_syn = runner.run(
        "synthesize",
        target,
        {
            "up": k_tr,
            "voices": chosen.voices,
            "max_rate": timing.max_rate,
            # Lines are spoken at the rate the plan needs: the plan's settings shape them.
            "timing": timing,
            "rates": "planned",
        },
        lambda d: redub.synthesize(
            translated,
            shared.diarized.speakers,
            lines=lines,
            assign_voices=assign,
            rooms=rooms,
            plan_rates=fit_stage.rate_planner(translated, shared.ingested, timing),
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

    def measure(mixed: MixArtifact) -> QualityArtifact:
        # The pipeline's recogniser, threads and all: on one thread beside lipsync it took the
        # same CPU, held a second model (~100-250 MB) and measured no faster (bench, loaded).
        quality = measure_quality(translated, fitted, mixed, engines.transcriber)
        speakers = dub_speaker_similarity(shared, translated, fitted, synthesized, engines)
        return quality.model_copy(update={"speakers": speakers})

    # The report measures the mix, not the picture: it starts once mix is done (in mix's own
    # thread, see run_mix_and_render) and runs beside lipsync and render
    # (pipeline/report_ahead.py), where the report stage will run at all.
    ahead: list[QualityAhead] = []

    def measure_ahead(mixed: MixArtifact, k_render: str) -> None:
        if not runner.reuses("report", target, {"up": k_render}, QualityArtifact):
            ahead.append(QualityAhead(lambda: measure(mixed), runner.cancel, target).start())

    try:
        mixed, rendered, k_render, synced = run_mix_and_render(
            runner,
            shared,
            target,
            options,
            translated,
            fitted,
            k_fit,
            extension,
            engines,
            redub=redub,
            on_mixed=measure_ahead,
        )
        quality, _ = runner.run(
            "report",
            target,
            {"up": k_render},
            lambda d: _measured(ahead) or measure(mixed),
            QualityArtifact,
        )
    finally:
        for started in ahead:
            started.stop()
    return TargetSide(
        target,
        translated,
        synthesized,
        fitted,
        mixed,
        rendered,
        quality,
        lipsync=synced,
        partial_redub=redub.stage_seconds(runner, target),
    )


def _measured(ahead: list[QualityAhead]) -> QualityArtifact | None:
    """What the background measurement made; None: nothing started there, or it failed."""
    return ahead[0].result() if ahead else None


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
    redub: PartialRedub | None = None,
    on_mixed: Callable[[MixArtifact, str], None] | None = None,
) -> tuple[MixArtifact, RenderArtifact, str, lipsync_stage.LipSyncArtifact | None]:
    """mix and lipsync (side by side) -> render of one target, whatever produced its fitted
    speech.

    Both build on fit: lipsync scores against the dub's lines, not the mix, so mix runs in a
    thread beside it (pipeline/stage_beside.py); render takes both. Where lipsync is skipped,
    or this run stops after mix (a worker hands lipsync to another), mix runs alone, as before.

    `captions` (segments on the output timeline, and their stage key) replace the captions
    made from the translated script, for a dub whose speech has no script (the user's audio).
    `on_mixed`, given, is called once mix is done with the mix and the key render will return
    (worked out ahead), while lipsync runs: work that needs only the mix starts there.
    """
    # Render copies an AAC the mix made where its output would encode that AAC anyway.
    encode_aac = not options.keep_format and extension in AAC_CONTAINERS
    mix_inputs = {
        "up": k_fit,
        "sep": shared.separation_key,
        "music": options.keep_music,
        "lufs": options.target_lufs,
        "aac": encode_aac,
    }

    def produce_mix(stage_dir: Path) -> MixArtifact:
        return mix_stage.mix(
            shared.ingested,
            shared.separated,
            fitted,
            stage_dir,
            keep_music=options.keep_music,
            target_lufs=options.target_lufs,
            encode_aac=encode_aac,
        )

    lipsync_inputs = lipsync_stage_inputs(shared, options, engines, k_fit)
    k_sync_ahead = None if lipsync_inputs is None else runner.key("lipsync", lipsync_inputs)

    def render_inputs(k_mix: str, k_sync: str | None) -> dict:
        return {
            "up": k_mix,
            **({} if k_sync is None else {"picture": k_sync}),
            "ext": extension,
            **render_settings(options),
            **({"captions": captions[1]} if captions else {}),
        }

    def mixed_done(mixed: MixArtifact, k_mix: str) -> None:
        if on_mixed is not None:
            on_mixed(mixed, runner.key("render", render_inputs(k_mix, k_sync_ahead)))

    def run_lipsync(cancel: CancelCheck | None = None):
        return run_lipsync_stage(
            runner, shared, target, options, engines, fitted, lipsync_inputs,
            redub=redub, cancel=cancel,
        )  # fmt: skip

    if lipsync_inputs is None or runner.stop_after in ("mix", "lipsync"):
        mixed, k_mix = runner.run("mix", target, mix_inputs, produce_mix, MixArtifact)
        mixed_done(mixed, k_mix)
        synced, k_sync = run_lipsync()
    else:
        mixing = StageBeside(
            runner, "mix", target, mix_inputs, produce_mix, MixArtifact, then=mixed_done
        )
        synced, k_sync, (mixed, k_mix) = _beside(mixing.start(), run_lipsync)
    cues = heard_cues(captions[0]) if captions else None
    rendered, k_render = runner.run(
        "render",
        target,
        render_inputs(k_mix, k_sync),
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


def _beside(mixing: StageBeside[MixArtifact], run_lipsync: Callable) -> tuple:
    """lipsync, run while `mixing` (started) runs: lipsync's artifact and key, and the mix's.
    Either one failing ends both; when the mix failed, its own error is the one raised."""
    try:
        synced, k_sync = run_lipsync(mixing.cancel_with_failure(mixing.runner.cancel))
        return synced, k_sync, mixing.result()
    except JobCancelled:
        _stop_and_tell(mixing)
        if mixing.error is not None:  # lipsync was stopped for it: the mix's error it is
            raise mixing.error from None
        raise
    except BaseException:
        _stop_and_tell(mixing)  # a failed lipsync ends the target: no mix goes on without it
        raise


def _stop_and_tell(mixing: StageBeside[MixArtifact]) -> None:
    """Stop the mix; a mix that had finished is still told done (its checkpoint is made:
    a worker pushes it, so a retry takes it rather than mixing again). A listener failing
    here must not hide the error that ended the run."""
    mixing.stop()
    try:
        mixing.runner.tell_finished_beside()
    except Exception:  # noqa: BLE001 - the run's own error is the one raised
        logger.exception("telling the finished mix failed")


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
    inputs: dict | None,
    *,
    redub: PartialRedub | None = None,
    cancel: CancelCheck | None = None,
) -> tuple[lipsync_stage.LipSyncArtifact | None, str | None]:
    """The lipsync stage with its `inputs` (lipsync_stage_inputs; None: skipped, for audio-only
    output or a source without video): returns its artifact and key (None, None: render uses
    the source's picture). `cancel`: the check its work sees (default: the run's)."""
    if inputs is None:
        return None, None
    model = engines.lipsync_model

    def produce(stage_dir: Path) -> lipsync_stage.LipSyncArtifact:
        if runner.face_scan is not None:  # started after ingest: take its scan from the cache
            runner.face_scan.wait()
        return lipsync_stage.lipsync(
            shared.ingested,
            shared.separated,
            fitted,
            stage_dir,
            mode=options.mode,
            model=model,
            device=engines.settings.lipsync_device,
            progress=runner.progress("lipsync", target),
            scan_cache=runner.face_scans,
            reuse=redub.frame_reuse(fitted) if redub else None,
            speakers={s.index: s.speaker for s in shared.diarized.transcript.segments if s.speaker},
        )

    synced, k_sync = runner.run(
        "lipsync", target, inputs, produce, lipsync_stage.LipSyncArtifact, cancel=cancel
    )
    if redub is not None:
        redub.remember_lipsync(fitted, synced)
    return synced, k_sync


def lipsync_stage_inputs(
    shared: SourceSide, options: DubOptions, engines: EngineSet, k_fit: str
) -> dict | None:
    """The lipsync stage's checkpoint inputs, on top of `k_fit` (the fitted lines' key); None
    where the stage is skipped (audio-only output, a source without video).

    The dub speech the stage scores against is the fitted lines laid on the output timeline
    (mix.build_dub_track), made from `k_fit`'s artifact alone: the mix's own settings (music,
    loudness) do not change it, so they redo the mix and render, never the lipsync.
    """
    if options.audio_only or shared.ingested.info.video is None:
        return None
    model = engines.lipsync_model
    return {
        "up": k_fit,
        "mode": options.mode,
        "engine": lipsync_stage.ENGINE_VERSION,
        "model": file_key(model) if model else None,
    }


def _back_translator(engines: EngineSet, target: str, source: str) -> Translator | None:
    """The engine for the reverse pair, for the quality signal; None where nothing serves it."""
    try:
        return engines.translator_for(target, source)
    except UnsupportedLanguageError:
        return None
