"""Request and response shapes of /v3/lipsyncs, HeyGen's Lip Sync API: a video and the user's
own audio, the mouth redrawn to follow it. The request mirrors HeyGen's CreateLipsyncRequest
(unknown fields are refused); the job resource is shaped like a video translation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from polydub.api.schemas.common import WARNINGS_DESCRIPTION, AssetRef, time_range_problem
from polydub.api.schemas.fields import (
    REQUEST_CONFIG,
    CallbackId,
    Flag,
    ResourceId,
    Seconds,
    Title,
    Url,
)
from polydub.api.schemas.video_translations import FpsMode, VideoTranslationMode


class CreateLipsyncRequest(BaseModel):
    """Request body for POST /v3/lipsyncs."""

    model_config = REQUEST_CONFIG

    video: AssetRef = Field(description="Source video: {type: 'url', url} or {type: 'asset_id'}")
    audio: AssetRef = Field(description="Replacement audio, in the same two forms")
    title: Title | None = Field(default=None, description="Title for the lipsync job")
    mode: VideoTranslationMode = Field(
        default=VideoTranslationMode.speed,
        description="'speed': mouth warp; 'precision': mouths from the speaker's own frames",
    )
    callback_url: Url | None = Field(default=None, description="Webhook URL")
    callback_id: CallbackId | None = Field(
        default=None, description="ID included in webhook payload"
    )
    enable_caption: Flag = Field(default=False, description="Add a caption track to the video")
    keep_the_same_format: Flag | None = Field(
        default=None, description="Preserve the source video's encoding specs"
    )
    enable_dynamic_duration: Flag = Field(default=True, description="Allow a longer output")
    disable_music_track: Flag = Field(default=False, description="Remove background music")
    enable_speech_enhancement: Flag = Field(default=False, description="Enhance speech")
    enable_watermark: Flag = Field(default=False, description="Add a watermark to the output")
    start_time: Seconds | None = Field(default=None, description="Start (s) of the part to sync")
    end_time: Seconds | None = Field(default=None, description="End (s) of the part to sync")
    fps_mode: FpsMode | None = Field(default=None, description="Output frame-rate mode")
    folder_id: ResourceId | None = Field(default=None, description="Folder to organise into")

    def range_problem(self) -> tuple[str, str] | None:
        """(param, message) when start_time/end_time make no sense, else None."""
        return time_range_problem(self.start_time, self.end_time)


class LipsyncCreated(BaseModel):
    lipsync_id: str


class LipsyncPublic(BaseModel):
    """One lip sync. `progress` is 0..1; times are Unix seconds; URLs are signed. `report`
    holds the sync scores (source ceiling, unsynced floor, result) and stage timings."""

    id: str
    title: str | None
    status: Literal["pending", "running", "completed", "failed"]
    progress: float
    mode: str
    video_url: str | None
    caption_url: str | None = Field(description="Signed URL of the SRT captions")
    vtt_caption_url: str | None = Field(description="Signed URL of the WebVTT captions")
    duration: float | None
    failure_message: str | None
    callback_id: str | None
    folder_id: str | None
    created_at: int
    completed_at: int | None
    report: dict[str, Any] | None
    warnings: list[str] = Field(default_factory=list, description=WARNINGS_DESCRIPTION)


class LipsyncList(BaseModel):
    data: list[LipsyncPublic]
    has_more: bool
    next_token: str | None


class LipsyncDeleted(BaseModel):
    id: str
    deleted: bool
