"""EBU R128 loudness: measure, and normalise in two passes (linear gain where possible)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from polydub.media.ffmpeg import run_ffmpeg, run_ffmpeg_report


def _loudnorm_measure(path: Path, target_lufs: float, true_peak: float) -> dict[str, str]:
    log = run_ffmpeg_report(
        [
            "-i",
            str(path),
            "-af",
            f"loudnorm=I={target_lufs}:TP={true_peak}:LRA=11:print_format=json",
            "-f",
            "null",
            "-",
        ]
    )
    blob = log[log.rindex("{") : log.rindex("}") + 1]
    return json.loads(blob)


def normalize_loudness(
    source: Path,
    target: Path,
    *,
    target_lufs: float = -16.0,
    true_peak: float = -1.5,
    sample_rate: int = 48000,
) -> Path:
    """Two-pass loudnorm: measure, then apply with the measured values (linear when it can)."""
    m = _loudnorm_measure(source, target_lufs, true_peak)
    if not math.isfinite(float(m["input_i"])):  # silence: nothing to normalise
        run_ffmpeg(["-i", str(source), "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(target)])
        return target
    filt = (
        f"loudnorm=I={target_lufs}:TP={true_peak}:LRA=11:measured_I={m['input_i']}:"
        f"measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:"
        f"measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true"
    )
    run_ffmpeg(
        ["-i", str(source), "-af", filt, "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(target)]
    )
    return target


def integrated_loudness(path: Path) -> float:
    """Integrated loudness in LUFS (EBU R128), measured by ffmpeg's ebur128 filter."""
    log = run_ffmpeg_report(["-i", str(path), "-af", "ebur128", "-f", "null", "-"])
    found = re.findall(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", log)
    if not found:
        return float("-inf")
    return float(found[-1])
