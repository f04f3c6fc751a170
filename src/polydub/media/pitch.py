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


def voiced_f0(
    samples: np.ndarray, rate: int, *, floor: float = PITCH_FLOOR, ceiling: float = PITCH_CEILING
) -> np.ndarray:
    """F0 (Hz) of every voiced 10 ms frame (Praat's autocorrelation tracker)."""
    if len(samples) < rate * 0.05:
        return np.zeros(0)
    pitch = _sound(samples, rate).to_pitch(time_step=0.01, pitch_floor=floor, pitch_ceiling=ceiling)
    f0 = pitch.selected_array["frequency"]
    return f0[f0 > 0]


def pitch_stats(samples: np.ndarray, rate: int) -> PitchStats | None:
    """Median, 10th and 90th percentile of the speaker's F0; None with fewer than 10 voiced
    frames. Robust to what a plain median of every voiced frame is not: octave errors (a
    frame tracked at twice or half the true pitch) and another voice bleeding into the clip.
    The tracker first runs over a wide range; the densest half-octave of log-F0 (the
    speaker's own register) is found, frames more than 6 semitones from it are rejected, and
    the tracker runs again restricted to the register found (Hirst's two-pass method), which
    also stops octave jumps inside it."""
    f0 = voiced_f0(samples, rate)
    if len(f0) < 10:
        return None
    mode = _register(f0)
    lo = max(PITCH_FLOOR, mode * 2 ** (-_REGISTER_HALF_WIDTH / 12))
    hi = min(PITCH_CEILING, mode * 2 ** (_REGISTER_HALF_WIDTH / 12))
    narrow = voiced_f0(samples, rate, floor=lo * 0.9, ceiling=hi / 0.9)
    kept = narrow[(narrow >= lo) & (narrow <= hi)]
    if len(kept) < 10:
        kept = f0[(f0 >= lo) & (f0 <= hi)]
    p10, median, p90 = np.percentile(kept, [10, 50, 90])
    return PitchStats(median=float(median), p10=float(p10), p90=float(p90))


# A speaker's voiced frames lie mostly within +-6 semitones of their usual pitch; frames
# further away are octave errors or another voice.
_REGISTER_HALF_WIDTH = 6.0


def _register(f0: np.ndarray) -> float:
    """The centre (Hz) of the densest 4-semitone stretch of log-F0: the speaker's register.
    A histogram in quarter-tone bins, smoothed over +-2 semitones; the peak wins (a median
    would land between a man's register and a woman's bleeding in)."""
    semis = 12 * np.log2(f0 / PITCH_FLOOR)
    bins = np.arange(0.0, 12 * np.log2(PITCH_CEILING / PITCH_FLOOR) + 0.5, 0.5)
    counts, _ = np.histogram(semis, bins=bins)
    smooth = np.convolve(counts, np.ones(9), mode="same")
    peak = int(np.argmax(smooth))
    centre = (bins[peak] + bins[peak + 1]) / 2
    near = semis[np.abs(semis - centre) <= 2.0]
    return float(PITCH_FLOOR * 2 ** (np.median(near) / 12)) if len(near) else float(np.median(f0))


def shift_voice(
    samples: np.ndarray,
    rate: int,
    *,
    pitch_ratio: float,
    formant_ratio: float = 1.0,
    median_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Scale pitch by `pitch_ratio` and formants by `formant_ratio` (Praat's "Change gender"),
    keeping duration, so phoneme timing stays valid. With `median_range` (Hz), the new
    median is kept inside it: a sentence the voice reads lower or higher than usual still
    lands near the speaker's pitch, with its own melody."""
    if median_range is None and abs(pitch_ratio - 1.0) < 1e-3 and abs(formant_ratio - 1.0) < 1e-3:
        return samples
    import parselmouth

    sound = _sound(samples, rate)
    f0 = voiced_f0(samples, rate)
    if len(f0) < 3:  # nothing voiced to move
        return samples
    # Praat analyses the voice within its own register, so octave jumps (a creaky voice
    # tracked an octave up) neither skew the median it moves nor get moved themselves.
    floor, ceiling = PITCH_FLOOR, PITCH_CEILING
    if len(f0) >= 10:
        mode = _register(f0)
        floor = max(PITCH_FLOOR, mode * 2 ** (-_REGISTER_HALF_WIDTH / 12) * 0.9)
        ceiling = min(PITCH_CEILING, mode * 2 ** (_REGISTER_HALF_WIDTH / 12) / 0.9)
        f0 = f0[(f0 >= floor) & (f0 <= ceiling)]
    new_median = float(np.median(f0)) * pitch_ratio
    if median_range is not None:
        new_median = float(np.clip(new_median, *median_range))
    with _PRAAT_RANDOM:
        parselmouth.praat.run(f"random_initializeWithSeedUnsafelyButPredictably ({_PRAAT_SEED})")
        shifted = parselmouth.praat.call(
            sound, "Change gender", floor, ceiling, formant_ratio, new_median, 1.0, 1.0
        )
    out = np.asarray(shifted.values[0], np.float32)
    # Praat may return a sample more or less; keep the length exact.
    if len(out) >= len(samples):
        return out[: len(samples)]
    return np.pad(out, (0, len(samples) - len(out)))
