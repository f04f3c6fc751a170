"""Time-stretch speech without changing pitch (Rubber Band, the best stretcher here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from polydub.domain.audio import Audio
from polydub.errors import EngineError
from polydub.media.audio import read_wav, write_wav
from polydub.media.ffmpeg import require_binary


def stretch_to_duration(source: Path, target: Path, duration: float) -> Path:
    """Write `source` sped up (or slowed) to last exactly `duration` seconds, pitch kept.

    Rubber Band lands within a few milliseconds; the remainder is padded with silence or taken
    from the trailing samples, which are the synthesiser's trimmed tail, never speech.
    """
    audio = read_wav(source)
    tempo = audio.duration / duration
    proc = subprocess.run(
        [require_binary("rubberband"), "-q", "-3", "-T", f"{tempo:.6f}", str(source), str(target)],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise EngineError("rubberband failed: " + proc.stderr.decode(errors="replace")[-300:])
    out = read_wav(target)
    n = round(duration * out.sample_rate)
    samples = (
        out.samples[:n] if len(out.samples) >= n else np.pad(out.samples, (0, n - len(out.samples)))
    )
    return write_wav(target, Audio(samples.astype(np.float32), out.sample_rate))
