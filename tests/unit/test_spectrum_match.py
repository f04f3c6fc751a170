"""The matching EQ: it finds the spectral difference between two recordings, keeps loudness
and timing, and stays within its limits."""

import numpy as np
import pytest
from scipy import signal

from polydub.media.spectrum_match import (
    BAND_CENTRES,
    MAX_GAIN_DB,
    apply_gains,
    band_levels,
    matching_gains,
)

RATE = 24000


def _noise(seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(RATE * seconds)).astype(np.float32)


def _tilt(db_low: float, db_high: float, split: float = 1500.0) -> tuple[float, ...]:
    return tuple(db_high if c > split else db_low for c in BAND_CENTRES)


def test_gains_recover_a_known_filter_across_sample_rates():
    voice = _noise()
    # The speaker: the same sound through a filter 12 dB brighter above 1.5 kHz, at 16 kHz.
    speaker = signal.resample_poly(apply_gains(voice, RATE, _tilt(-6.0, 6.0)), 2, 3)
    gains = np.array(matching_gains(band_levels(speaker, 16000), voice, RATE))
    low = gains[[c < 800 for c in BAND_CENTRES]]
    high = gains[[2500 < c < 7000 for c in BAND_CENTRES]]
    assert np.median(high) - np.median(low) == pytest.approx(12.0, abs=2.0)
    # Above the speaker's Nyquist frequency the nearest known band's gain holds.
    assert gains[-1] == pytest.approx(gains[-2], abs=1.0)


def test_gains_are_capped_and_keep_loudness():
    voice = _noise(seed=1)
    speaker = apply_gains(apply_gains(voice, RATE, _tilt(-12, 12)), RATE, _tilt(-12, 12))
    gains = matching_gains(band_levels(speaker, RATE), voice, RATE)
    assert max(abs(g) for g in gains) <= MAX_GAIN_DB
    matched = apply_gains(voice, RATE, gains)
    # A gentle shape, not a volume change: within 1.5 dB of the voice's power.
    ratio_db = 10 * np.log10(np.mean(matched**2) / np.mean(voice**2))
    assert abs(ratio_db) < 1.5


def test_filtering_keeps_length_and_timing():
    click = np.zeros(RATE // 2, np.float32)
    click[5000] = 1.0
    out = apply_gains(click, RATE, _tilt(-6.0, 6.0))
    assert len(out) == len(click)
    assert int(np.argmax(np.abs(out))) == 5000


def test_flat_or_missing_gains_leave_the_voice_alone():
    voice = _noise(0.5)
    assert apply_gains(voice, RATE, ()) is voice
    assert apply_gains(voice, RATE, tuple(0.0 for _ in BAND_CENTRES)) is voice
    # Too little sound to measure: no bands, no change.
    assert np.isnan(band_levels(voice[:100], RATE)).all()
    assert not any(matching_gains(band_levels(voice[:100], RATE), voice, RATE))


def test_pauses_do_not_count_as_the_voice_spectrum():
    voice = _noise(2.0)
    with_pauses = np.concatenate([voice, np.zeros(RATE * 4, np.float32), voice])
    # Hiss in the pauses, 60 dB down and bright, is left out of the measurement.
    with_pauses += 1e-3 * np.diff(_noise(8.0, seed=2), prepend=0.0)[: len(with_pauses)]
    levels, clean = band_levels(with_pauses, RATE), band_levels(voice, RATE)
    assert np.nanmax(np.abs(levels - clean)) < 1.0
