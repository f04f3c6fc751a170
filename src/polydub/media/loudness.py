"""EBU R128 loudness: measure, and normalise (a gain and a peak limiter, at 48 kHz)."""

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
# The most a limiter takes off the peaks after the gain (a real reading and the bench's dub
# needed 2.3 and 3.5 dB at -16 LUFS); a track that needs more has loud moments a limiter
# would squash audibly.
MAX_LIMITING_DB = 6.0
# How far under the true-peak ceiling the sample-peak limiter sits, for the peaks between
# samples (a real reading limited at -2.0 dBFS measured -2.0 dBTP).
_INTER_SAMPLE_DB = 0.5


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
    return Loudness(*_ebur128_summary(path, "ebur128=peak=true"))


def _ebur128_summary(path: Path, filt: str) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from the summary `filt` prints at its end (-inf
    where it printed none: no peak measured, or no summary)."""
    log = run_ffmpeg_report(["-i", str(path), "-af", filt, "-f", "null", "-"])
    summary = log[log.rfind("Summary:") :]
    return _field(summary, "I", "LUFS"), _field(summary, "Peak", "dBFS")


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
    """`source` at `target_lufs` with its true peak under `true_peak`: one gain, and where
    that lifts the peaks over the ceiling, a look-ahead limiter on them (speech's peaks sit
    15-20 dB over its loudness, so a quiet dub always needs some). A track that would need
    more than MAX_LIMITING_DB off its peaks goes through loudnorm's two-pass dynamic mode,
    which rides the gain instead. (loudnorm for everything cost 7 of the mix's 9 CPU s at
    60 s: it works at 192 kHz.)"""
    measured = measure_loudness(source)
    if measured.silent:  # nothing to normalise
        run_ffmpeg(["-i", str(source), "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(target)])
        return target
    gain = target_lufs - measured.integrated
    over = measured.true_peak + gain - true_peak  # dB the gained peaks would pass the ceiling
    if over <= 0:
        filt = f"volume={gain:.3f}dB"
    elif over <= MAX_LIMITING_DB:
        # A sample-peak limiter, set under the true-peak ceiling by the room inter-sample
        # peaks take; latency=1 keeps the sound where it was (else 5 ms late: lip-sync).
        ceiling = 10 ** ((true_peak - _INTER_SAMPLE_DB) / 20)
        filt = (
            f"volume={gain:.3f}dB,"
            f"alimiter=limit={ceiling:.4f}:attack=5:release=50:level=disabled:latency=1"
        )
    else:
        logger.info(
            "loudness %.1f LUFS, true peak %.1f dBTP: normalised by loudnorm (a gain of "
            "%+.1f dB would need %.1f dB off the peaks)",
            measured.integrated,
            measured.true_peak,
            gain,
            over,
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
    return _ebur128_summary(path, "ebur128")[0]
