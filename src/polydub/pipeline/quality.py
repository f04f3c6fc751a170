"""Quality figures of a dub: timing (rate, drift, truncation) and intelligibility (ASR)."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import soundfile as sf
from pydantic import BaseModel, Field

from polydub.cancellation import raise_if_cancelled
from polydub.domain.timing import VideoStretch
from polydub.engines.asr.base import TranscribeOptions, Transcriber
from polydub.media.audio import read_wav
from polydub.pipeline.artifacts import FitArtifact, MixArtifact, TranslationArtifact
from polydub.pipeline.language_check import LanguageCheck, check_language
from polydub.pipeline.phrasing import explain_phrasing
from polydub.pipeline.speaker_similarity import SpeakerSimilarity
from polydub.pipeline.transcribe import audio_windows

LOW_CONFIDENCE = 0.6  # below this, the detected source language is reported as uncertain


class TimingReport(BaseModel):
    segments: int
    rate_per_segment: list[float]
    rate_p95: float
    rate_max: float
    start_drift_p95: float
    start_drift_max: float
    truncated_segments: int
    dropped_segments: int
    overlapping_segments: int
    source_duration: float
    output_duration: float
    duration_change: float  # seconds added by slowing video
    video_stretches: int
    max_video_slowdown: float
    # Every slowed stretch of video: where, how much, for which line and why.
    stretches: list[VideoStretch] = Field(default_factory=list)


class IntelligibilityReport(BaseModel):
    wer: float | None  # None: not measured (the user brought the dub audio, no script)
    reference_words: int
    hypothesis: str
    # Whether the recogniser heard the dub in the target language (None: not measured).
    language_check: LanguageCheck | None = None


class QualityArtifact(BaseModel):
    """The measured quality of one dub, checkpointed like a stage."""

    timing: TimingReport
    intelligibility: IntelligibilityReport
    speakers: list[SpeakerSimilarity] = Field(default_factory=list)  # voice likeness per speaker


def timing_report(translated: TranslationArtifact, fitted: FitArtifact) -> TimingReport:
    """Measure the plan against the audio actually produced for each line."""
    plan = fitted.plan
    timings = sorted(plan.segments, key=lambda t: t.output_start)
    rates = [t.effective_rate for t in timings]
    drift = [abs(t.output_start - plan.to_output_time(t.source_start)) for t in timings]
    lines = {ln.index: ln for ln in fitted.lines}
    truncated = overlapping = 0
    for k, t in enumerate(timings):
        produced = read_wav(lines[t.index].path).duration
        # Truncated: the placed audio is shorter than the speech the voice produced.
        if produced + 0.02 < t.dub_duration or produced > t.dub_duration + 0.02:
            truncated += 1
        if k + 1 < len(timings) and t.output_start + produced > timings[k + 1].output_start + 1e-3:
            overlapping += 1
    spoken = {t.index for t in timings} | set(translated.carried_by_neighbour)
    dropped = sum(1 for s in translated.segments if s.text.strip() and s.index not in spoken)
    return TimingReport(
        segments=len(timings),
        rate_per_segment=[round(r, 4) for r in rates],
        rate_p95=float(np.percentile(rates, 95)) if rates else 1.0,
        rate_max=max(rates, default=1.0),
        start_drift_p95=float(np.percentile(drift, 95)) if drift else 0.0,
        start_drift_max=max(drift, default=0.0),
        truncated_segments=truncated,
        dropped_segments=dropped,
        overlapping_segments=overlapping,
        source_duration=plan.source_duration,
        output_duration=plan.output_duration,
        duration_change=plan.output_duration - plan.source_duration,
        video_stretches=len(plan.stretches),
        max_video_slowdown=max((s.factor for s in plan.stretches), default=1.0),
        stretches=explain_phrasing(plan.stretches, translated.phrasing),
    )


def normalize_text(text: str) -> str:
    """Case-folded words without punctuation (accents kept), for WER scoring."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def intelligibility_report(
    translated: TranslationArtifact, mixed: MixArtifact, transcriber: Transcriber
) -> IntelligibilityReport:
    """WER of an ASR pass over the dubbed speech (before mixing) against the translated text."""
    import jiwer

    options = TranscribeOptions(language=translated.target_language, beam_size=1, vad=True)
    duration = sf.info(str(mixed.dub_wav)).duration
    heard = []
    for _, audio in audio_windows(mixed.dub_wav, 0.0, duration):
        raise_if_cancelled()
        heard.append(transcriber.transcribe(audio, options))
    heard_text = " ".join(t.text for t in heard)
    language_check = check_language(
        heard_text,
        translated.target_language,
        script_constrained=any(t.script_constrained for t in heard),
    )
    reference = normalize_text(" ".join(s.translation for s in translated.segments))
    hypothesis = normalize_text(heard_text)
    if not reference:
        return IntelligibilityReport(
            wer=0.0, reference_words=0, hypothesis=hypothesis, language_check=language_check
        )
    wer = jiwer.wer(reference, hypothesis) if hypothesis else 1.0
    return IntelligibilityReport(
        wer=float(wer),
        reference_words=len(reference.split()),
        hypothesis=hypothesis,
        language_check=language_check,
    )


def measure_quality(
    translated: TranslationArtifact,
    fitted: FitArtifact,
    mixed: MixArtifact,
    transcriber: Transcriber,
) -> QualityArtifact:
    return QualityArtifact(
        timing=timing_report(translated, fitted),
        intelligibility=intelligibility_report(translated, mixed, transcriber),
    )
