"""Stage 4, diarize: give each segment a speaker label.

This is the stage's baseline: with one speaker (or none asked for) every line is SPEAKER_00;
with `speakers` > 1, segments are clustered on their MFCC statistics. Speaker-embedding
diarization with change points at word boundaries replaces the features here (speakers issue).
"""

from __future__ import annotations

import numpy as np

from polydub.engines.asr.base import ASR_SAMPLE_RATE
from polydub.media.audio import decode_audio
from polydub.pipeline.artifacts import DiarizationArtifact, SeparationArtifact, TranscriptArtifact


def speaker_label(i: int) -> str:
    return f"SPEAKER_{i:02d}"


def _segment_features(samples: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    import librosa

    feats = []
    for start, end in spans:
        clip = samples[int(start * ASR_SAMPLE_RATE) : max(int(end * ASR_SAMPLE_RATE), 1)]
        if len(clip) < 400:
            clip = np.pad(clip, (0, 400 - len(clip)))
        mfcc = librosa.feature.mfcc(y=clip, sr=ASR_SAMPLE_RATE, n_mfcc=20)
        feats.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
    x = np.asarray(feats)
    return (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-6)


def diarize(
    transcribed: TranscriptArtifact,
    separated: SeparationArtifact,
    *,
    speakers: int | None,
) -> DiarizationArtifact:
    segments = transcribed.transcript.segments
    n = min(speakers or 1, len(segments))
    if n <= 1:
        labels = [0] * len(segments)
        method = "single"
    else:
        from sklearn.cluster import AgglomerativeClustering

        audio = decode_audio(separated.speech_wav, ASR_SAMPLE_RATE)
        x = _segment_features(audio.samples, [(s.start, s.end) for s in segments])
        raw = AgglomerativeClustering(n_clusters=n).fit_predict(x)
        # Number speakers by first appearance so labels are stable across runs.
        order: dict[int, int] = {}
        labels = [order.setdefault(int(r), len(order)) for r in raw]
        method = "mfcc-agglomerative"
    labelled = [
        s.model_copy(update={"speaker": speaker_label(k)})
        for s, k in zip(segments, labels, strict=True)
    ]
    names = sorted({speaker_label(k) for k in labels}) or [speaker_label(0)]
    transcript = transcribed.transcript.model_copy(update={"segments": labelled})
    return DiarizationArtifact(transcript=transcript, speakers=names, method=method)
