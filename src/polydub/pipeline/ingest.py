"""Stage 1, ingest: probe the input, check it can be dubbed, extract its audio."""

from __future__ import annotations

from pathlib import Path

from polydub.errors import InvalidInputError
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.probe import check_dubbable, probe
from polydub.pipeline.artifacts import IngestArtifact

MIX_SAMPLE_RATE = 48000


def resolve_range(duration: float, start: float | None, end: float | None) -> tuple[float, float]:
    """Validate start_time/end_time against the media; None means the media's own bound."""
    range_start = 0.0 if start is None else float(start)
    range_end = duration if end is None else min(float(end), duration)
    if range_start < 0:
        raise InvalidInputError("start_time must be 0 or more", param="start_time")
    if start is not None and range_start >= duration:
        raise InvalidInputError(
            f"start_time {range_start:.2f}s is past the end of the video ({duration:.2f}s)",
            param="start_time",
        )
    if end is not None and float(end) <= range_start:
        raise InvalidInputError("end_time must be after start_time", param="end_time")
    return range_start, range_end


def ingest(
    source: Path,
    out_dir: Path,
    *,
    need_video: bool = True,
    start: float | None = None,
    end: float | None = None,
) -> IngestArtifact:
    """Probe `source`, refuse it with a clear reason if unusable, extract 48 kHz stereo audio."""
    info = probe(source)
    check_dubbable(info, source, need_video=need_video)
    range_start, range_end = resolve_range(info.duration, start, end)
    mixture = out_dir / "mixture.wav"
    run_ffmpeg(
        [
            "-i",
            str(source),
            "-map",
            "0:a:0",
            "-ac",
            "2",
            "-ar",
            str(MIX_SAMPLE_RATE),
            "-c:a",
            "pcm_s16le",
            str(mixture),
        ]
    )
    return IngestArtifact(
        source=source,
        info=info,
        mixture_wav=mixture,
        range_start=range_start,
        range_end=range_end,
    )
