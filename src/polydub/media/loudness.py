"""EBU R128 loudness: measure, and normalise (a plain gain wherever the true peak allows)."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from polydub.media.ffmpeg import run_ffmpeg, run_ffmpeg_report

logger = logging.getLogger(__name__)


# EBU R128's absolute gate: blocks quieter than this are not counted; ebur128 reports it as
# the integrated loudness of silence.
ABSOLUTE_GATE = -70.0


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS; ABSOLUTE_GATE for silence (nothing loud enough to count)
    true_peak: float  # dBTP; -inf for digital silence

    @property
    def silent(self) -> bool:
        return not self.integrated > ABSOLUTE_GATE


def measure_loudness(path: Path) -> Loudness:
    """Integrated loudness and true peak, by ffmpeg's ebur128 filter (4x oversampled peak).
    A seventh of what loudnorm's own measuring pass costs: it resamples to 192 kHz and
    runs its limiter's look-ahead even when it only measures. (Its per-frame log stays on:
    with framelog=quiet this ffmpeg's summary reads 0 LUFS.)"""
    log = run_ffmpeg_report(["-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"])
    summary = log[log.rfind("Summary:") :]
    return Loudness(_field(summary, "I", "LUFS"), _field(summary, "Peak", "dBFS"))


def _field(summary: str, name: str, unit: str) -> float:
    found = re.search(rf"{name}:\s+(-?[\d.]+|-inf)\s+{unit}", summary)
    return float(found.group(1)) if found else float("-inf")


def normalize_loudness(
    source: Path,
    target: Path,
    *,
    target_lufs: float = -16.0,
    true_peak: float = -1.5,
    sample_rate: int = 48000,
) -> Path:
    """`source` at `target_lufs`: a plain gain when the gained true peak stays under
    `true_peak` (what loudnorm's linear mode does, without its 192 kHz passes), else
    loudnorm's two-pass dynamic normalisation."""
    measured = measure_loudness(source)
    if measured.silent:  # nothing to normalise
        run_ffmpeg(["-i", str(source), "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(target)])
        return target
    gain = target_lufs - measured.integrated
    if measured.true_peak + gain <= true_peak:
        filt = f"volume={gain:.3f}dB"
    else:
        logger.info(
            "loudness %.1f LUFS, true peak %.1f dBTP: normalised by loudnorm (a plain gain "
            "of %+.1f dB would put the peak over %.1f dBTP)",
            measured.integrated,
            measured.true_peak,
            gain,
            true_peak,
        )
        m = _loudnorm_measure(source, target_lufs, true_peak)
        filt = (
            f"loudnorm=I={target_lufs}:TP={true_peak}:LRA=11:measured_I={m['input_i']}:"
            f"measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:"
            f"measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true"
        )
    run_ffmpeg(
        ["-i", str(source), "-af", filt, "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(target)]
    )
    return target


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


def integrated_loudness(path: Path) -> float:
    """Integrated loudness in LUFS (EBU R128), measured by ffmpeg's ebur128 filter."""
    log = run_ffmpeg_report(["-i", str(path), "-af", "ebur128", "-f", "null", "-"])
    found = re.findall(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", log)
    if not found:
        return float("-inf")
    return float(found[-1])
