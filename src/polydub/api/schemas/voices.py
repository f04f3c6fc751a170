"""Request and response shapes of /v3/voices, HeyGen's Voices API: stock voices of the
bundled TTS and the caller's cloned voices, cloning from a recording, and speech with word
timestamps. Field names and types are HeyGen's (v3-endpoints.json); additions are marked."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from polydub.api.schemas.common import AssetId, AssetUrl
from polydub.api.schemas.fields import (
    _NO_NUL,
    MAX_ID,
    REQUEST_CONFIG,
    Flag,
    LanguageName,
)

MAX_VOICE_NAME = 200
MAX_SPEECH_TEXT = 5000  # HeyGen: 1-5000 characters
MAX_MEDIA_TYPE = 100
MIN_SPEED, MAX_SPEED = 0.5, 2.0  # HeyGen's range, and Kokoro's

VoiceName = Annotated[str, Field(min_length=1, max_length=MAX_VOICE_NAME), _NO_NUL]
VoiceId = Annotated[str, Field(min_length=1, max_length=MAX_ID), _NO_NUL]
SpeechText = Annotated[str, Field(min_length=1, max_length=MAX_SPEECH_TEXT), _NO_NUL]
MediaType = Annotated[str, Field(min_length=1, max_length=MAX_MEDIA_TYPE), _NO_NUL]
# Inline audio: at most 16 MiB of base64 (12 MiB of audio); the whole JSON body is bounded
# first (POLYDUB_MAX_JSON_BODY_BYTES, 1 MiB by default: about 45 s of 16 kHz wav), so longer
# recordings go as a url or an asset.
MAX_BASE64_AUDIO = 16 * 1024 * 1024
Base64Data = Annotated[str, Field(min_length=1, max_length=MAX_BASE64_AUDIO), _NO_NUL]
Speed = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=MIN_SPEED, le=MAX_SPEED)]


class AssetBase64(BaseModel):
    """Asset input via base64-encoded content."""

    model_config = REQUEST_CONFIG
    type: Literal["base64"]
    media_type: MediaType
    data: Base64Data


CloneAudio = Annotated[AssetUrl | AssetId | AssetBase64, Field(discriminator="type")]


class CloneVoiceRequest(BaseModel):
    """Request body for POST /v3/voices/clone."""

    model_config = REQUEST_CONFIG

    audio: CloneAudio = Field(description="The recording: url, asset_id or base64")
    voice_name: VoiceName = Field(description="Display name for the cloned voice")
    language: LanguageName | None = Field(
        default=None, description="Language of the recording; detected when omitted"
    )
    remove_background_noise: Flag = Field(
        default=True, description="Denoise the recording before cloning"
    )


class VoiceCloneCreated(BaseModel):
    voice_clone_id: str


class SpeechRequest(BaseModel):
    """Request body for POST /v3/voices/speech."""

    model_config = REQUEST_CONFIG

    text: SpeechText = Field(description="Text to synthesize (1-5000 characters)")
    voice_id: VoiceId = Field(description="A voice id from GET /v3/voices")
    input_type: Literal["text"] = Field(
        default="text", description="Only 'text': SSML is not supported"
    )
    language: LanguageName | None = Field(default=None, description="Language of the text")
    locale: LanguageName | None = Field(default=None, description="BCP-47 locale, e.g. en-US")
    speed: Speed = Field(default=1.0, description="Speed multiplier (0.5-2.0)")


class WordTimestamp(BaseModel):
    word: str
    start: float
    end: float


class SpeechResult(BaseModel):
    audio_url: str
    duration: float
    request_id: str | None
    word_timestamps: list[WordTimestamp] | None


class VoiceListItem(BaseModel):
    voice_id: str
    name: str
    language: str
    gender: str
    preview_audio_url: str | None
    support_locale: bool
    support_pause: bool
    type: Literal["public", "private"]


class VoiceList(BaseModel):
    data: list[VoiceListItem]
    has_more: bool
    next_token: str | None


class VoicePublic(BaseModel):
    """One voice. Polydub's additions for a cloned voice: `progress` (0..1) and `report`
    (how it was matched: the stock voice it started from, similarities, speech used)."""

    voice_id: str
    name: str | None
    language: str | None
    gender: str | None
    preview_audio_url: str | None
    status: Literal["processing", "complete", "failed"] | None
    failure_message: str | None
    created_at: int | None
    support_pause: bool
    support_interactive_avatar: bool
    progress: float | None = None
    report: dict[str, Any] | None = None


class VoiceDeleted(BaseModel):
    voice_id: str
