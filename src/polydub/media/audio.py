"""Audio in and out of files: decode any media to mono float32, write and read WAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from polydub.domain.audio import Audio
from polydub.media.ffmpeg import run_ffmpeg


def decode_audio(
    path: Path | str,
    sample_rate: int = 16000,
    *,
    start: float | None = None,
    end: float | None = None,
) -> Audio:
    """Decode the first audio stream of any media file to mono float32 at `sample_rate`."""
    args: list[str] = []
    if start is not None:
        args += ["-ss", f"{start:.3f}"]
    args += ["-i", str(path)]
    if end is not None:
        args += ["-t", f"{end - (start or 0.0):.3f}"]
    args += ["-map", "0:a:0", "-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-"]
    raw = run_ffmpeg(args)
    return Audio(np.frombuffer(raw, dtype=np.float32).copy(), sample_rate)


def resample(audio: Audio, sample_rate: int) -> Audio:
    """Change the sample rate with a polyphase filter (good quality, no new dependency)."""
    if audio.sample_rate == sample_rate:
        return audio
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(audio.sample_rate, sample_rate)
    out = resample_poly(audio.samples, sample_rate // g, audio.sample_rate // g)
    return Audio(out.astype(np.float32), sample_rate)


def write_wav(path: Path | str, audio: Audio) -> Path:
    """Write mono float audio as 16-bit PCM WAV (clipped to [-1, 1])."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(audio.samples, -1.0, 1.0), audio.sample_rate, subtype="PCM_16")
    return path


def read_wav(path: Path | str) -> Audio:
    """Read a WAV (or any libsndfile format) as mono float32."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return Audio(data.mean(axis=1).astype(np.float32), int(rate))
