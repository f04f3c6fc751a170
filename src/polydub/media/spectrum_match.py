"""Match a voice's long-term spectrum to a speaker's, as a dubbing mixer's matching EQ does.

The long-term average spectrum of speech carries much of what makes a voice (and the
microphone and room it was recorded in) recognisable, and Kokoro's style vector cannot reach
all of it. A gentle third-octave EQ, computed once from the tuned voice's speech and the
speaker's reference clips, moves the dub toward it: the dub sounds as if it was recorded where
the speaker was. Gains are capped, smoothed across bands and leave overall loudness alone.
"""

from __future__ import annotations

import numpy as np

# Third-octave band centres from 63 Hz to 8 kHz (ISO 266, rounded).
BAND_CENTRES = tuple(float(1000 * 2 ** (k / 3)) for k in range(-12, 10))
MAX_GAIN_DB = 12.0  # beyond this, matching starts to sound like a filter, not a voice
_FRAME = 512
# Frames more than this far below the loud ones are pauses or noise, not speech.
_SPEECH_RANGE_DB = 35.0
_TAPS = 511


def _band_edges(centre: float) -> tuple[float, float]:
    return centre * 2 ** (-1 / 6), centre * 2 ** (1 / 6)


def band_levels(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mean power (dB) of the speech frames of `samples` in each third-octave band; NaN for
    bands above the recording's Nyquist frequency or with no speech."""
    samples = np.asarray(samples, np.float64)
    out = np.full(len(BAND_CENTRES), np.nan)
    if len(samples) < _FRAME * 4:
        return out
    hop = _FRAME // 2
    count = 1 + (len(samples) - _FRAME) // hop
    frames = np.lib.stride_tricks.sliding_window_view(samples, _FRAME)[::hop][:count]
    power = np.abs(np.fft.rfft(frames * np.hanning(_FRAME), axis=1)) ** 2
    energy = 10 * np.log10(power.sum(axis=1) + 1e-12)
    speech = energy > np.percentile(energy, 95) - _SPEECH_RANGE_DB
    spectrum = power[speech].mean(axis=0)
    freqs = np.fft.rfftfreq(_FRAME, 1 / rate)
    for i, centre in enumerate(BAND_CENTRES):
        low, high = _band_edges(centre)
        if high > rate / 2:
            break
        inside = (freqs >= low) & (freqs < high)
        if inside.any():
            # Bands narrower than one FFT bin take the nearest bin.
            out[i] = 10 * np.log10(spectrum[inside].mean() + 1e-20)
        else:
            out[i] = 10 * np.log10(spectrum[np.argmin(np.abs(freqs - centre))] + 1e-20)
    return out


def matching_gains(
    reference_levels: np.ndarray,
    voice: np.ndarray,
    voice_rate: int,
    *,
    max_gain_db: float = MAX_GAIN_DB,
) -> tuple[float, ...]:
    """Per-band gains (dB) that move `voice`'s long-term spectrum toward the speaker's
    `reference_levels` (band_levels of their reference clips).

    Bands one of them lacks (above a Nyquist frequency) take the nearest band's gain; the
    gains are smoothed over neighbouring bands, centred so the voice's loudness is kept, and
    capped at +-max_gain_db."""
    own = band_levels(voice, voice_rate)
    gains = np.asarray(reference_levels) - own
    known = np.flatnonzero(np.isfinite(gains))
    if len(known) == 0:
        return tuple(0.0 for _ in BAND_CENTRES)
    gains = np.interp(np.arange(len(gains)), known, gains[known])
    gains = np.convolve(np.pad(gains, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    # Loudness stays: an offset so the voice's power (per band: mean power x bandwidth, which
    # grows with the centre in third octaves) is the same after the gains.
    power = np.nan_to_num(10 ** (own / 10)) * np.array(BAND_CENTRES)
    if power.sum() > 0:
        gains -= 10 * np.log10(np.sum(power * 10 ** (gains / 10)) / power.sum())
    return tuple(round(float(g), 2) for g in np.clip(gains, -max_gain_db, max_gain_db))


def apply_gains(samples: np.ndarray, rate: int, gains: tuple[float, ...] | None) -> np.ndarray:
    """Filter `samples` with the per-band `gains` (dB), as a linear-phase FIR that keeps the
    timing (its delay is compensated, so phoneme times hold)."""
    if not gains or not np.any(gains) or len(samples) == 0:
        return samples
    from scipy import signal

    nyquist = rate / 2
    centres = np.array(BAND_CENTRES)
    grid = np.linspace(0.0, nyquist, 256)
    # Interpolated on a log-frequency axis; below the first band and above the last the end
    # gains hold.
    db = np.interp(np.log2(np.maximum(grid, 1.0)), np.log2(centres), np.asarray(gains))
    fir = signal.firwin2(_TAPS, grid / nyquist, 10 ** (db / 20))
    out = signal.fftconvolve(np.asarray(samples, np.float32), fir, mode="full")
    delay = (_TAPS - 1) // 2
    return out[delay : delay + len(samples)].astype(np.float32)
