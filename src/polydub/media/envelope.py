"""Speech loudness per video frame: what a mouth should follow."""

from __future__ import annotations

import numpy as np

from polydub.domain.audio import Audio


def speech_envelope(audio: Audio, fps: float, frames: int) -> np.ndarray:
    """RMS loudness of the audio over each frame's display time [i/fps, (i+1)/fps)."""
    hop = audio.sample_rate / fps
    samples = audio.samples.astype(np.float64)
    edges = np.round(np.arange(frames + 1) * hop).astype(np.int64)
    edges = np.clip(edges, 0, len(samples))
    power = np.concatenate([[0.0], np.cumsum(samples**2)])
    counts = np.diff(edges)
    sums = power[edges[1:]] - power[edges[:-1]]
    return np.sqrt(np.where(counts > 0, sums / np.maximum(counts, 1), 0.0))
