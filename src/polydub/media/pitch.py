"""Pitch analysis and pitch/formant shifting with Praat (praat-parselmouth)."""

from __future__ import annotations

import threading

import numpy as np

from polydub.domain.speaker import PitchStats

PITCH_FLOOR, PITCH_CEILING = 60.0, 500.0
# Praat's overlap-add fills unvoiced stretches with randomly jittered periods, so the same
# input shifted twice differs (by up to a third of full scale). Seeding its one global
# generator before each shift makes it repeatable (voice search scores, re-runs, tests);
# the lock keeps another thread from drawing between the seed and the shift.
_PRAAT_SEED = 0
_PRAAT_RANDOM = threading.Lock()


def _sound(samples: np.ndarray, rate: int):
    import parselmouth

    return parselmouth.Sound(np.asarray(samples, np.float64), sampling_frequency=rate)


def voiced_f0(samples: np.ndarray, rate: int) -> np.ndarray:
    """F0 (Hz) of every voiced 10 ms frame."""
    if len(samples) < rate * 0.05:
        return np.zeros(0)
    pitch = _sound(samples, rate).to_pitch(
        time_step=0.01, pitch_floor=PITCH_FLOOR, pitch_ceiling=PITCH_CEILING
    )
    f0 = pitch.selected_array["frequency"]
    return f0[f0 > 0]


def pitch_stats(samples: np.ndarray, rate: int) -> PitchStats | None:
    """Median, 10th and 90th percentile of F0; None with fewer than 10 voiced frames."""
    f0 = voiced_f0(samples, rate)
    if len(f0) < 10:
        return None
    p10, median, p90 = np.percentile(f0, [10, 50, 90])
    return PitchStats(median=float(median), p10=float(p10), p90=float(p90))


def shift_voice(
    samples: np.ndarray, rate: int, *, pitch_ratio: float, formant_ratio: float = 1.0
) -> np.ndarray:
    """Scale pitch by `pitch_ratio` and formants by `formant_ratio` (Praat's "Change gender"),
    keeping duration, so phoneme timing stays valid."""
    if abs(pitch_ratio - 1.0) < 1e-3 and abs(formant_ratio - 1.0) < 1e-3:
        return samples
    import parselmouth

    sound = _sound(samples, rate)
    f0 = voiced_f0(samples, rate)
    if len(f0) < 3:  # nothing voiced to move
        return samples
    new_median = float(np.median(f0)) * pitch_ratio
    with _PRAAT_RANDOM:
        parselmouth.praat.run(f"random_initializeWithSeedUnsafelyButPredictably ({_PRAAT_SEED})")
        shifted = parselmouth.praat.call(
            sound, "Change gender", PITCH_FLOOR, PITCH_CEILING, formant_ratio, new_median, 1.0, 1.0
        )
    out = np.asarray(shifted.values[0], np.float32)
    # Praat may return a sample more or less; keep the length exact.
    if len(out) >= len(samples):
        return out[: len(samples)]
    return np.pad(out, (0, len(samples) - len(out)))
