"""Praat pitch shifting: repeatable, length-preserving."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.media.pitch import pitch_stats, shift_voice

RATE = 24000


def _voiced_then_noise() -> np.ndarray:
    """A second of a 150 Hz harmonic tone, then a second of breath-like noise (the unvoiced
    stretch where Praat's overlap-add draws random periods)."""
    t = np.arange(RATE) / RATE
    tone = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6))
    noise = 0.3 * np.random.default_rng(0).standard_normal(RATE)
    return (0.3 * np.concatenate([tone, noise])).astype(np.float32)


def test_the_same_shift_gives_the_same_samples():
    samples = _voiced_then_noise()
    first = shift_voice(samples, RATE, pitch_ratio=0.8, formant_ratio=1.06)
    again = shift_voice(samples, RATE, pitch_ratio=0.8, formant_ratio=1.06)
    assert len(first) == len(samples)
    np.testing.assert_array_equal(first, again)
    assert pitch_stats(first[:RATE], RATE).median == pytest.approx(120.0, rel=0.03)
