"""Loudness normalisation: a gain, a limiter on the peaks it lifts too far, loudnorm beyond."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from polydub.media import loudness
from polydub.media.loudness import MAX_LIMITING_DB, measure_loudness, normalize_loudness

RATE = 48000


def _write(path, samples):
    sf.write(str(path), np.stack([samples, samples], axis=1), RATE, subtype="PCM_16")
    return path


def _speechlike(seconds: float, level: float) -> np.ndarray:
    """Laplacian noise in bursts with pauses (speech's amplitudes are near Laplacian: peaks
    15-20 dB over its loudness), `level` the scale while "speaking"."""
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = (np.sin(2 * np.pi * 1.5 * t) > -0.2).astype(float)
    return (level * rng.laplace(size=len(t)) * envelope).clip(-1, 1)


@pytest.fixture
def no_loudnorm(monkeypatch):
    calls = []
    monkeypatch.setattr(loudness, "_loudnorm_measure", lambda *a: calls.append(a) or {})
    return calls


def _over(path, target_lufs=-16.0, true_peak=-1.5) -> float:
    m = measure_loudness(path)
    return m.true_peak + (target_lufs - m.integrated) - true_peak


def test_a_quiet_track_whose_peaks_allow_it_gets_one_gain(tmp_path, no_loudnorm):
    samples = 0.02 * np.sin(2 * np.pi * 220 * np.arange(8 * RATE) / RATE)  # crest 3 dB
    source = _write(tmp_path / "in.wav", samples)
    assert _over(source) < 0
    out = normalize_loudness(source, tmp_path / "out.wav", target_lufs=-16.0)
    assert measure_loudness(out).integrated == pytest.approx(-16.0, abs=0.3)
    assert no_loudnorm == []
    before, after = sf.read(str(source))[0][:, 0], sf.read(str(out))[0][:, 0]
    loud = np.abs(before) > 0.005
    ratio = after[loud] / before[loud]
    assert np.std(ratio) / np.mean(ratio) < 0.01  # one gain throughout: the sound is kept


def test_peaks_a_gain_lifts_over_the_ceiling_are_limited_in_place(tmp_path, no_loudnorm):
    source = _write(tmp_path / "in.wav", _speechlike(8.0, 0.03))
    assert 0 < _over(source) <= MAX_LIMITING_DB
    out = normalize_loudness(source, tmp_path / "out.wav", target_lufs=-16.0, true_peak=-1.5)
    result = measure_loudness(out)
    assert result.true_peak <= -1.5
    assert result.integrated == pytest.approx(-16.0, abs=0.5)
    assert no_loudnorm == []
    # Not moved in time (the limiter's look-ahead is compensated).
    before, after = sf.read(str(source))[0][:, 0], sf.read(str(out))[0][:, 0]
    lags = range(-300, 301)
    best = max(
        lags, key=lambda k: float(np.dot(before[1000:-1000], np.roll(after, -k)[1000:-1000]))
    )
    assert best == 0


def test_a_track_needing_more_than_a_limiter_goes_through_loudnorm(tmp_path):
    # Quiet on average with full-scale clicks: a gain to -16 LUFS would need ~20 dB off them.
    samples = _speechlike(8.0, 0.006)
    samples[RATE :: RATE // 2] = 0.99
    source = _write(tmp_path / "in.wav", samples)
    assert _over(source) > MAX_LIMITING_DB
    out = normalize_loudness(source, tmp_path / "out.wav", target_lufs=-16.0, true_peak=-1.5)
    result = measure_loudness(out)
    assert result.true_peak <= -1.0
    assert result.integrated == pytest.approx(-16.0, abs=1.5)


def test_silence_stays_silence(tmp_path):
    source = _write(tmp_path / "in.wav", np.zeros(RATE * 2))
    assert measure_loudness(source).silent
    out = normalize_loudness(source, tmp_path / "out.wav")
    assert not np.any(sf.read(str(out))[0])
