"""Loudness normalisation: a plain gain where the true peak allows it, loudnorm where not."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from polydub.media import loudness
from polydub.media.loudness import measure_loudness, normalize_loudness

RATE = 48000


def _write(path, samples):
    sf.write(str(path), np.stack([samples, samples], axis=1), RATE, subtype="PCM_16")
    return path


def _speechlike(seconds: float, level: float) -> np.ndarray:
    """Noise bursts with pauses (a crest factor like speech's), at `level` peak-ish amplitude."""
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = (np.sin(2 * np.pi * 1.5 * t) > -0.2).astype(float)
    return (level * 0.3 * rng.standard_normal(len(t)) * envelope).clip(-1, 1)


def test_a_quiet_track_is_raised_to_the_target_by_a_plain_gain(tmp_path, monkeypatch):
    source = _write(tmp_path / "in.wav", _speechlike(8.0, 0.05))
    calls = []
    monkeypatch.setattr(loudness, "_loudnorm_measure", lambda *a: calls.append(a) or {})
    out = normalize_loudness(source, tmp_path / "out.wav", target_lufs=-16.0)
    assert measure_loudness(out).integrated == pytest.approx(-16.0, abs=0.3)
    assert calls == []  # no loudnorm pass
    before, _ = sf.read(str(source))
    after, _ = sf.read(str(out))
    loud = np.abs(before[:, 0]) > 0.01
    ratio = after[loud, 0] / before[loud, 0]
    assert np.std(ratio) / np.mean(ratio) < 0.01  # one gain throughout: the sound is kept


def test_a_gain_that_would_push_peaks_over_falls_back_to_loudnorm(tmp_path):
    # Quiet on average with full-scale clicks: a plain gain to -16 LUFS would clip them.
    samples = _speechlike(8.0, 0.02)
    samples[RATE :: RATE // 2] = 0.99
    source = _write(tmp_path / "in.wav", samples)
    measured = measure_loudness(source)
    assert measured.true_peak + (-16.0 - measured.integrated) > -1.5
    out = normalize_loudness(source, tmp_path / "out.wav", target_lufs=-16.0, true_peak=-1.5)
    result = measure_loudness(out)
    assert result.true_peak <= -1.0
    assert result.integrated == pytest.approx(-16.0, abs=1.5)


def test_silence_stays_silence(tmp_path):
    source = _write(tmp_path / "in.wav", np.zeros(RATE * 2))
    assert measure_loudness(source).silent
    out = normalize_loudness(source, tmp_path / "out.wav")
    assert not np.any(sf.read(str(out))[0])
