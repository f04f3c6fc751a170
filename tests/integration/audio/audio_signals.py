"""Test signals with known parts: speech (espeak-ng), synthetic music and noise, mixed at a
chosen level, and the scale-invariant SDR that scores how well a part was recovered."""

from __future__ import annotations

import subprocess
from math import gcd
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

SENTENCES = (
    "The quick brown fox jumps over the lazy dog while seven boats sail down the river.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "We will meet again tomorrow morning at the old station near the bridge.",
)


def speech(seconds: float, rate: int, tmp_dir: Path) -> np.ndarray:
    """Mono espeak-ng sentences, repeated with short pauses, exactly `seconds` long."""
    pieces, total = [], 0
    while total < seconds * rate:
        for i, text in enumerate(SENTENCES):
            wav = tmp_dir / f"sentence{i}.wav"
            if not wav.exists():
                subprocess.run(["espeak-ng", "-w", str(wav), text], check=True, capture_output=True)
            raw = np.frombuffer(wav.read_bytes()[44:], dtype="<i2").astype(np.float32) / 32768
            g = gcd(22050, rate)
            pieces += [resample_poly(raw, rate // g, 22050 // g), np.zeros(rate // 3)]
            total += len(pieces[-2]) + rate // 3
    out = np.concatenate(pieces)[: int(seconds * rate)]
    return (0.4 * out / np.abs(out).max()).astype(np.float32)


def music(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Chords of harmonic tones, a kick drum on the beat and hi-hat noise off the beat."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n)
    chords = [(220.0, 277.2, 329.6), (196.0, 246.9, 293.7), (174.6, 220.0, 261.6)]
    for i in range(int(np.ceil(seconds / 2))):
        span = slice(i * 2 * rate, min(n, (i + 1) * 2 * rate))
        for f in chords[i % len(chords)]:
            for h in range(1, 6):
                out[span] += 0.3 / h * np.sin(2 * np.pi * f * h * t[span])
    rng = np.random.default_rng(seed)
    for beat in np.arange(0, seconds, 0.5):
        a = int(beat * rate)
        kick = np.arange(min(int(0.15 * rate), n - a)) / rate
        out[a : a + len(kick)] += (
            1.5 * np.sin(2 * np.pi * 60 * kick * (1 - 2 * kick)) * np.exp(-30 * kick)
        )
        b = int((beat + 0.25) * rate)
        hat = min(int(0.05 * rate), max(0, n - b))
        out[b : b + hat] += 0.3 * rng.standard_normal(hat) * np.exp(-80 * np.arange(hat) / rate)
    return out.astype(np.float32)


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    """Noise with a 1/f power spectrum (shaped white noise)."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    return np.fft.irfft(spectrum, n).astype(np.float32)


def scaled_to_snr(signal: np.ndarray, interference: np.ndarray, snr_db: float) -> np.ndarray:
    """`interference` scaled so that signal-to-interference power is `snr_db`."""
    gain = np.sqrt(np.mean(signal**2) / np.mean(interference**2) / 10 ** (snr_db / 10))
    return (interference * gain).astype(np.float32)


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al., 2019)."""
    estimate = estimate.astype(np.float64).ravel() - estimate.mean()
    reference = reference.astype(np.float64).ravel() - reference.mean()
    target = np.dot(estimate, reference) / np.dot(reference, reference) * reference
    return float(10 * np.log10(np.sum(target**2) / np.sum((estimate - target) ** 2)))
