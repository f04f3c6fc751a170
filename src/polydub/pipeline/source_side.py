"""The source side of a dub: ingest -> separate -> transcribe -> diarize, run once per video
and shared by every target language."""

from __future__ import annotations

import os
from pathlib import Path

from polydub.engines.torch_threads import torch_threads
from polydub.pipeline import diarize as diarize_stage
from polydub.pipeline import ingest as ingest_stage
from polydub.pipeline import separate as separate_stage
from polydub.pipeline import transcribe as transcribe_stage
from polydub.pipeline.artifacts import (
    DiarizationArtifact,
    IngestArtifact,
    SeparationArtifact,
    TranscriptArtifact,
)
from polydub.pipeline.checkpoint import file_key
from polydub.pipeline.dub_options import DubOptions
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.report import SourceSide
from polydub.pipeline.runner import StageRunner
from polydub.pipeline.srt_script import (
    read_numbered_srt,
    transcript_from_srt,
)


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
    if runner.face_scan is not None:  # the lip-sync's scan needs only the frames: start it now
        runner.face_scan.start(ingested)
    # Beside the face scan torch gets one core less: two torch threads on two busy cores
    # measured 7.6 s of CPU to separate 60 s, one thread 5.3 s (with 1.2 s more wall).
    scanning = runner.face_scan is not None and runner.face_scan.running
    with torch_threads(max(1, (os.cpu_count() or 1) - 1) if scanning else os.cpu_count() or 1):
        separated, k_sep = runner.run(
            "separate",
            None,
            {"up": k_ingest, "enhance": options.enhance, **engines.separator_key},
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
                "model": engines.asr_model_key,
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
    return SourceSide(ingested, separated, diarized, k_sep, k_dia, transcribed.engine)


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
