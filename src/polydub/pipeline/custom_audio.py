"""The user's own dubbing audio (request field `audio`, and the Lip Sync API): no translation
or synthesis; the given audio is the dub track, laid over the background from the translated
range's start, then rendered (fps_mode applies here). The captions are what the user's audio
says, recognised on the output timeline.
"""

from __future__ import annotations

from pathlib import Path

from polydub.domain.timing import SegmentTiming, TimingPlan, VideoStretch
from polydub.domain.transcript import Segment, Transcript
from polydub.media.audio import read_wav
from polydub.media.ffmpeg import run_ffmpeg
from polydub.pipeline.artifacts import (
    DiarizationArtifact,
    FitArtifact,
    IngestArtifact,
    SynthesisArtifact,
    SynthLine,
    TranslationArtifact,
)
from polydub.pipeline.checkpoint import content_key, file_key
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.quality import IntelligibilityReport, QualityArtifact, timing_report
from polydub.pipeline.report import SourceSide, TargetSide
from polydub.pipeline.runner import StageRunner
from polydub.pipeline.source_side import run_ingest_and_separate
from polydub.pipeline.target_side import run_mix_and_render

USER_AUDIO_VOICE = "user-audio"
# Audio longer than the range by less than this is cut, not worth slowing the video for.
MIN_STRETCH_S = 0.05


def run_audio_source_side(runner: StageRunner, source: Path, options, engines: EngineSet):
    """ingest -> separate only: the background is all the source side gives a user's dub."""
    ingested, separated, k_sep = run_ingest_and_separate(runner, source, options, engines)
    language = options.source_language or "und"
    # No speech is recognised: one empty segment spans the range, so captions come out empty.
    segment = Segment(index=0, start=ingested.range_start, end=ingested.range_end, text="")
    diarized = DiarizationArtifact(
        transcript=Transcript(
            language=language, duration=ingested.info.duration, segments=[segment]
        ),
        speakers=[],
        method="none",
    )
    return SourceSide(ingested, separated, diarized, k_sep, content_key({"up": k_sep}))


def place_user_audio(
    ingested: IngestArtifact, audio: Path, out_dir: Path, *, dynamic_duration: bool = False
) -> FitArtifact:
    """The user's audio as one line from the range's start. Audio longer than the range is cut
    to it, unless `dynamic_duration`: then the range's video is slowed evenly to the audio's
    length (the lipsync stage keeps the mouth moving at the full frame rate)."""
    room = ingested.range_end - ingested.range_start
    line_wav = out_dir / "user_audio.wav"
    limit = [] if dynamic_duration else ["-t", f"{room:.3f}"]
    run_ffmpeg(
        ["-i", str(audio), *limit, "-map", "0:a:0", "-ac", "1", "-ar", "48000"]
        + ["-c:a", "pcm_s16le", str(line_wav)]
    )
    duration = read_wav(line_wav).duration
    start = ingested.range_start
    stretches = []
    if duration > room + MIN_STRETCH_S:
        stretches = [VideoStretch(start=start, end=ingested.range_end, factor=duration / room)]
    timing = SegmentTiming(
        index=0,
        source_start=start,
        source_end=start + min(duration, room),
        natural_duration=duration,
        rate=1.0,
        dub_duration=duration,
        output_start=start,
        output_end=start + duration,
    )
    plan = TimingPlan(
        segments=[timing],
        stretches=stretches,
        source_duration=ingested.info.duration,
        max_rate=1.0,
        dynamic_duration=dynamic_duration,
    )
    line = SynthLine(index=0, path=line_wav, duration=duration, rate=1.0, voice=USER_AUDIO_VOICE)
    return FitArtifact(plan=plan, lines=[line])


def transcribe_user_audio(
    fitted: FitArtifact, transcriber, language: str | None
) -> TranslationArtifact:
    """What the placed user audio says, each recognised segment on the output timeline (its
    text is both `text` and `translation`: the captions show what is heard)."""
    from polydub.engines.asr.base import TranscribeOptions
    from polydub.pipeline.transcribe import audio_windows

    line, timing = fitted.lines[0], fitted.plan.segments[0]
    segments: list[Segment] = []
    heard_language = language
    for offset, samples in audio_windows(line.path, 0.0, line.duration):
        heard = transcriber.transcribe(samples, TranscribeOptions(language=heard_language))
        heard_language = heard_language or heard.language or None
        for segment in heard.segments:
            text = segment.text.strip()
            if text:
                start = timing.output_start + offset + segment.start
                end = timing.output_start + offset + segment.end
                segments.append(
                    Segment(index=len(segments), start=start, end=end, text=text, translation=text)
                )
    return TranslationArtifact(
        source_language=heard_language or "und",
        target_language=heard_language or "und",
        engine=getattr(transcriber, "name", "asr"),
        segments=segments,
    )


def run_audio_target_side(
    runner: StageRunner,
    shared: SourceSide,
    target: str,
    options,
    engines: EngineSet,
    extension: str,
) -> TargetSide:
    """fit (place the user's audio) -> mix -> render -> report for one target language."""
    translated = TranslationArtifact(
        source_language=shared.diarized.transcript.language,
        target_language=target,
        engine=USER_AUDIO_VOICE,
        segments=shared.diarized.transcript.segments,
    )
    fitted, k_fit = runner.run(
        "fit",
        target,
        {
            "up": shared.separation_key,
            "audio": file_key(options.dub_audio),
            "dynamic": options.timing.dynamic_duration,
        },
        lambda d: place_user_audio(
            shared.ingested,
            options.dub_audio,
            d,
            dynamic_duration=options.timing.dynamic_duration,
        ),
        FitArtifact,
    )
    # A lip sync has no language of its own ("und"): the recogniser detects it.
    spoken = target if len(target) == 2 else None
    captions, k_captions = runner.run(
        "captions",
        target,
        {"up": k_fit, "language": spoken},
        lambda d: transcribe_user_audio(fitted, engines.transcriber, spoken),
        TranslationArtifact,
    )
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
        captions=(captions, k_captions),
    )
    # There is no script to check the dub against: no ASR round trip.
    quality, _ = runner.run(
        "report",
        target,
        {"up": k_render},
        lambda d: QualityArtifact(
            timing=timing_report(translated, fitted),
            intelligibility=IntelligibilityReport(wer=None, reference_words=0, hypothesis=""),
        ),
        QualityArtifact,
    )
    synthesized = SynthesisArtifact(voices={}, lines=fitted.lines)
    return TargetSide(
        target, translated, synthesized, fitted, mixed, rendered, quality, lipsync=synced
    )
