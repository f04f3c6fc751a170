"""Request and response shapes of /v3/video-translations.

The request mirrors HeyGen's CreateVideoTranslationRequest field for field (unknown fields are
refused); the responses are designed the way HeyGen's other v3 resources look, since the
reference leaves them open. Times are Unix seconds; progress is a fraction from 0 to 1.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from polydub.api.schemas.common import WARNINGS_DESCRIPTION, AssetRef, time_range_problem
from polydub.api.schemas.fields import (
    MAX_OUTPUT_LANGUAGES,
    MAX_STOCK_VOICE_IDS,
    REQUEST_CONFIG,
    CallbackId,
    Count,
    Flag,
    LanguageName,
    ResourceId,
    Seconds,
    Title,
    Url,
)


class VideoTranslationMode(StrEnum):
    speed = "speed"
    precision = "precision"


class SrtRole(StrEnum):
    input = "input"  # the subtitle is the source's script
    output = "output"  # the subtitle is the translation


class FpsMode(StrEnum):
    vfr = "vfr"
    cfr = "cfr"
    passthrough = "passthrough"


class StockVoiceConfig(BaseModel):
    """Use a preset stock voice instead of cloning the original speaker."""

    model_config = REQUEST_CONFIG
    use_stock_voice: Flag = False
    preferred_stock_voice_ids: list[ResourceId] = Field(
        default_factory=list, max_length=MAX_STOCK_VOICE_IDS
    )


class CreateVideoTranslationRequest(BaseModel):
    """Request body for POST /v3/video-translations."""

    model_config = REQUEST_CONFIG

    video: AssetRef = Field(description="Source video: {type: 'url', url} or {type: 'asset_id'}")
    title: Title | None = Field(default=None, description="Title for the translation job")
    output_languages: list[LanguageName] = Field(
        min_length=1,
        max_length=MAX_OUTPUT_LANGUAGES,
        description="Target language names; GET /v3/video-translations/languages lists them.",
    )
    audio: AssetRef | None = Field(default=None, description="Custom audio for dubbing")
    input_language: LanguageName | None = Field(
        default=None, description="Source language (auto-detected if omitted)"
    )
    translate_audio_only: Flag = Field(default=False, description="Keep the original frames")
    speaker_num: Count | None = Field(default=None, description="Number of speakers")
    mode: VideoTranslationMode = Field(default=VideoTranslationMode.speed)
    callback_url: Url | None = Field(default=None, description="Webhook URL")
    callback_id: CallbackId | None = Field(
        default=None, description="ID included in webhook payload"
    )
    enable_caption: Flag = Field(default=False, description="Burn captions into the video")
    keep_the_same_format: Flag | None = Field(
        default=None, description="Preserve the source video's encoding specs"
    )
    enable_dynamic_duration: Flag = Field(default=True, description="Allow a longer output")
    disable_music_track: Flag = Field(default=False, description="Remove background music")
    enable_speech_enhancement: Flag = Field(default=False, description="Enhance speech")
    enable_watermark: Flag = Field(default=False, description="Add a watermark to the output")
    start_time: Seconds | None = Field(default=None, description="Start (s) of the part to dub")
    end_time: Seconds | None = Field(default=None, description="End (s) of the part to dub")
    brand_voice_id: ResourceId | None = Field(
        default=None, description="Legacy name of brand_glossary_id"
    )
    brand_glossary_id: ResourceId | None = Field(
        default=None, description="Brand glossary to apply"
    )
    stock_voice_config: StockVoiceConfig | None = None
    srt: AssetRef | None = Field(default=None, description="Custom subtitle file")
    srt_role: SrtRole | None = Field(
        default=None, description="Which video the subtitle applies to"
    )
    fps_mode: FpsMode | None = Field(
        default=None, description="Output frame-rate mode (with a custom audio track)"
    )
    folder_id: ResourceId | None = Field(default=None, description="Folder to organise into")

    def range_problem(self) -> tuple[str, str] | None:
        """(param, message) when start_time/end_time/speaker_num make no sense, else None."""
        problem = time_range_problem(self.start_time, self.end_time)
        if problem is None and self.speaker_num is not None and self.speaker_num < 1:
            return "speaker_num", "speaker_num must be >= 1"
        return problem

    @property
    def glossary_id(self) -> str | None:
        return self.brand_glossary_id or self.brand_voice_id


class VideoTranslationCreated(BaseModel):
    video_translation_ids: list[str] = Field(description="One id per target language")


class CaptionUrls(BaseModel):
    srt: str | None = None
    vtt: str | None = None


class VideoTranslationPublic(BaseModel):
    """One translation. `progress` is 0..1; times are Unix seconds; URLs are signed."""

    id: str
    title: str | None
    status: Literal["pending", "running", "completed", "failed"]
    progress: float
    input_language: str | None
    output_language: str
    mode: str
    video_url: str | None
    audio_url: str | None = Field(description="The dubbed soundtrack alone (AAC), signed")
    srt_caption_url: str | None
    vtt_caption_url: str | None
    translate_audio_only: bool
    caption_url: CaptionUrls = Field(description="Polydub's older form of the two caption URLs")
    duration: float | None
    failure_message: str | None
    callback_id: str | None
    folder_id: str | None
    created_at: int
    completed_at: int | None
    report: dict[str, Any] | None
    warnings: list[str] = Field(default_factory=list, description=WARNINGS_DESCRIPTION)


class VideoTranslationList(BaseModel):
    data: list[VideoTranslationPublic]
    has_more: bool
    next_token: str | None


class VideoTranslationDeleted(BaseModel):
    id: str
    deleted: bool


class CaptionLink(BaseModel):
    format: Literal["srt", "vtt"]
    caption_url: str


class LanguageEngines(BaseModel):
    name: str
    code: str
    translation: list[str]
    voices: list[str]


class LanguageList(BaseModel):
    languages: list[str]
    details: list[LanguageEngines]
