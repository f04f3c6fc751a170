"""Audio-visual sync score: how well the mouth on screen follows the speech heard.

Mouth opening is measured on every frame from FaceMesh landmarks, the speech envelope from the
audio (RMS per frame), and the score is their peak Pearson correlation over lags of up to
`max_lag_s`, with the lag where it peaks. A source video with its own audio gives the natural
ceiling; a dub without lip-sync, the floor.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from polydub.engines.face.landmarks import mouth_opening
from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.engines.face.tracking import FaceTracker, merge_series
from polydub.media.audio import decode_audio
from polydub.media.envelope import speech_envelope
from polydub.media.frames import read_frames, video_format

ENVELOPE_RATE = 16000


@dataclass(frozen=True)
class SyncScore:
    correlation: float  # peak correlation, -1..1 (nan without a face or speech)
    lag_frames: int  # where it peaks; > 0: the mouth moves after the sound
    lag_seconds: float
    zero_lag_correlation: float
    frames: int
    face_frames: int  # frames where the scored face was found

    def as_dict(self) -> dict:
        return asdict(self)


def lagged_correlation(
    mouth: np.ndarray, envelope: np.ndarray, max_lag: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation of mouth[t] with envelope[t - lag] for lag in -max_lag..max_lag,
    over the frames where the mouth was measured (nan elsewhere)."""
    lags = np.arange(-max_lag, max_lag + 1)
    out = np.full(len(lags), np.nan)
    n = min(len(mouth), len(envelope))
    for k, lag in enumerate(lags):
        m = mouth[max(lag, 0) : n + min(lag, 0)]
        e = envelope[max(-lag, 0) : n - max(lag, 0)]
        ok = ~np.isnan(m)
        if ok.sum() < 8 or np.std(m[ok]) < 1e-9 or np.std(e[ok]) < 1e-9:
            continue
        out[k] = float(np.corrcoef(m[ok], e[ok])[0, 1])
    return lags, out


def score_series(
    mouth: np.ndarray, envelope: np.ndarray, fps: float, max_lag_s: float = 0.4
) -> SyncScore:
    """The sync score of a mouth-opening series against a speech envelope (same frame rate)."""
    max_lag = max(1, int(round(max_lag_s * fps)))
    lags, corr = lagged_correlation(mouth, envelope, max_lag)
    face_frames = int((~np.isnan(mouth)).sum())
    if np.all(np.isnan(corr)):
        return SyncScore(float("nan"), 0, 0.0, float("nan"), len(mouth), face_frames)
    best = int(np.nanargmax(corr))
    return SyncScore(
        correlation=float(corr[best]),
        lag_frames=int(lags[best]),
        lag_seconds=float(lags[best] / fps),
        zero_lag_correlation=float(corr[max_lag]),
        frames=len(mouth),
        face_frames=face_frames,
    )


def agreement_over_time(
    mouth: np.ndarray, envelope: np.ndarray, fps: float, window_s: float = 2.0
) -> dict:
    """The sync score per window of `window_s` seconds (for the report's chart over time):
    window starts in seconds and each window's peak correlation, None where it had too few
    measured frames (no edited face) to say."""
    size = max(8, int(round(window_s * fps)))
    starts, correlations = [], []
    for first in range(0, min(len(mouth), len(envelope)), size):
        score = score_series(mouth[first : first + size], envelope[first : first + size], fps)
        starts.append(round(first / fps, 3))
        ok = not np.isnan(score.correlation)
        correlations.append(round(score.correlation, 3) if ok else None)
    return {"window_s": size / fps, "starts": starts, "correlation": correlations}


def mouth_openings_by_face(video: Path) -> tuple[dict[int, np.ndarray], float, int]:
    """Mouth opening per frame of every tracked face (nan where that face is not seen).

    Openings come from each frame's own landmarks, not the smoothed ones: the score measures
    what is on screen, and smoothing would add lag.
    """
    fmt = video_format(video)
    series: dict[int, dict[int, float]] = {}
    frames = 0
    with MediaPipeFaceLandmarker() as landmarker:
        tracker = FaceTracker(landmarker)
        for frame in read_frames(video):
            frames = frame.index + 1
            for face in tracker.update(frame.rgb, frame.time):
                series.setdefault(face.track_id, {})[frame.index] = mouth_opening(face.raw_points)
    out = {}
    for track_id, values in series.items():
        arr = np.full(frames, np.nan)
        arr[list(values)] = list(values.values())
        out[track_id] = arr
    return merge_series(out, tracker.identity_merges()), fmt.fps, frames


def score_video(video: Path, audio: Path | None = None, max_lag_s: float = 0.4) -> SyncScore:
    """Score `video` against its own audio track, or against `audio` when given.

    With several faces, the one whose mouth follows the speech best is scored (the speaker).
    """
    by_face, fps, frames = mouth_openings_by_face(video)
    speech = decode_audio(audio or video, ENVELOPE_RATE)
    envelope = speech_envelope(speech, fps, frames)
    scores = [score_series(m, envelope, fps, max_lag_s) for m in by_face.values()]
    scores = [s for s in scores if not np.isnan(s.correlation)]
    if not scores:
        return SyncScore(float("nan"), 0, 0.0, float("nan"), frames, 0)
    return max(scores, key=lambda s: s.correlation)
