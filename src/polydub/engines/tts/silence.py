"""Trim synthesised speech to a short, uniform margin of silence at both ends.

Engines pad their output differently (Kokoro leaves ~0.3 s, espeak a little less); the timing
solver needs speech that starts and ends where the audio does, give or take a fixed margin.
"""

from __future__ import annotations

import numpy as np

from polydub.engines.tts.base import PhonemeTiming

# Below this level (relative to the loudest 10 ms) a frame counts as silence.
_THRESHOLD_DB = -40.0
_FRAME_SECONDS = 0.01


def trim_silence(
    samples: np.ndarray, sample_rate: int, *, keep_seconds: float = 0.05
) -> tuple[np.ndarray, float]:
    """Cut leading and trailing silence down to `keep_seconds` each.

    Args:
        samples: float32 mono audio.
        sample_rate: its rate in Hz.
        keep_seconds: how much silence to leave before the first and after the last sound.

    Returns:
        The trimmed samples and how many seconds were cut from the start (to shift timings).
    """
    frame = max(1, int(_FRAME_SECONDS * sample_rate))
    n_frames = len(samples) // frame
    if n_frames == 0:
        return samples, 0.0
    frames = samples[: n_frames * frame].reshape(n_frames, frame)
    rms = np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))
    peak = rms.max()
    if peak <= 0:
        return samples[:0], 0.0
    loud = np.flatnonzero(rms >= peak * 10 ** (_THRESHOLD_DB / 20))
    keep = int(keep_seconds * sample_rate)
    start = max(0, loud[0] * frame - keep)
    end = min(len(samples), (loud[-1] + 1) * frame + keep)
    return samples[start:end], start / sample_rate


def shift_timings(
    timings: list[PhonemeTiming], offset: float, duration: float
) -> tuple[PhonemeTiming, ...]:
    """Move timings `offset` seconds earlier and clip them to [0, duration]; drop empty ones."""
    shifted = []
    for t in timings:
        start = min(max(t.start - offset, 0.0), duration)
        end = min(max(t.end - offset, 0.0), duration)
        if end > start:
            shifted.append(PhonemeTiming(t.phoneme, start, end))
    return tuple(shifted)
