"""Probe media with ffprobe and say clearly what is wrong with a file we cannot use."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from polydub.domain.media import AudioStreamInfo, MediaInfo, VideoStreamInfo
from polydub.errors import InvalidInputError, JobCancelled
from polydub.media.ffmpeg import run_ffmpeg, run_ffprobe


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def probe(path: Path) -> MediaInfo:
    """Describe the first video and audio stream of `path`.

    Raises:
        InvalidInputError: the file is missing or no demuxer can read it.
    """
    if not path.is_file():
        raise InvalidInputError(f"input file not found: {path}", param="video")
    proc = run_ffprobe(["-print_format", "json", "-show_format", "-show_streams", str(path)])
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown"]
        raise InvalidInputError(
            f"cannot decode {path.name}: not a media file ffmpeg can read ({reason[0]})",
            param="video",
        )
    data = json.loads(proc.stdout or b"{}")
    fmt = data.get("format", {})
    video = audio = None
    for stream in data.get("streams", []):
        kind = stream.get("codec_type")
        disposition = stream.get("disposition", {})
        if kind == "video" and video is None and not disposition.get("attached_pic"):
            rate = stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/1"
            try:
                fps = float(Fraction(rate)) if rate != "0/0" else 0.0
            except (ValueError, ZeroDivisionError):
                fps = 0.0
            video = VideoStreamInfo(
                codec=stream.get("codec_name", "unknown"),
                width=_int(stream.get("width")) or 0,
                height=_int(stream.get("height")) or 0,
                fps=fps or 25.0,
                bit_rate=_int(stream.get("bit_rate")),
                pix_fmt=stream.get("pix_fmt"),
                profile=stream.get("profile"),
            )
        elif kind == "audio" and audio is None:
            audio = AudioStreamInfo(
                codec=stream.get("codec_name", "unknown"),
                sample_rate=_int(stream.get("sample_rate")) or 48000,
                channels=_int(stream.get("channels")) or 1,
                bit_rate=_int(stream.get("bit_rate")),
            )
    duration = float(fmt.get("duration") or 0.0)
    return MediaInfo(
        duration=duration,
        format_name=fmt.get("format_name", "unknown"),
        video=video,
        audio=audio,
        bit_rate=_int(fmt.get("bit_rate")),
    )


def check_dubbable(info: MediaInfo, path: Path, *, need_video: bool = True) -> None:
    """Refuse, naming the reason, a file that has no audio, no video, or nothing decodable."""
    if info.audio is None:
        raise InvalidInputError(
            f"{path.name} has no audio track: there is no speech to translate", param="video"
        )
    if need_video and info.video is None:
        raise InvalidInputError(
            f"{path.name} has no video stream: give a video file (audio-only input is not "
            "a video translation)",
            param="video",
        )
    if info.duration <= 0.0:
        raise InvalidInputError(f"{path.name} has zero duration", param="video")
    # A header can parse while the payload is garbage: decode the first second of audio.
    try:
        run_ffmpeg(["-t", "1", "-i", str(path), "-map", "0:a:0", "-f", "null", "-"])
    except JobCancelled:
        raise  # the job's cancel, not a fault of the file
    except Exception as exc:
        raise InvalidInputError(
            f"cannot decode the audio of {path.name}: {exc}", param="video"
        ) from exc
