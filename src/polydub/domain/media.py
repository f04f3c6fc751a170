"""What a media file holds, as probed."""

from __future__ import annotations

from pydantic import BaseModel


class VideoStreamInfo(BaseModel):
    codec: str
    width: int
    height: int
    fps: float
    bit_rate: int | None = None
    pix_fmt: str | None = None
    profile: str | None = None


class AudioStreamInfo(BaseModel):
    codec: str
    sample_rate: int
    channels: int
    bit_rate: int | None = None


class MediaInfo(BaseModel):
    duration: float
    format_name: str
    video: VideoStreamInfo | None = None
    audio: AudioStreamInfo | None = None
    bit_rate: int | None = None
