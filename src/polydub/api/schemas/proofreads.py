"""Request and response shapes of /v3/video-translations/proofreads.

The create request mirrors HeyGen's CreateProofreadRequest field for field (unknown fields are
refused). The session resource, its SRT link, upload and generate are left open by the
reference and are shaped like HeyGen's other v3 resources. Times are Unix seconds.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from polydub.api.schemas.common import AssetRef
from polydub.api.schemas.fields import (
    MAX_OUTPUT_LANGUAGES,
    REQUEST_CONFIG,
    CallbackId,
    Count,
    Flag,
    LanguageName,
    ResourceId,
    Title,
    Url,
)
from polydub.api.schemas.video_translations import VideoTranslationMode

ProofreadStatus = Literal["processing", "completed", "failed"]


class CreateProofreadRequest(BaseModel):
    """Request body for POST /v3/video-translations/proofreads."""

    model_config = REQUEST_CONFIG
    video: AssetRef = Field(description="Source video: {type: 'url', url} or {type: 'asset_id'}")
    output_languages: list[LanguageName] = Field(
        min_length=1,
        max_length=MAX_OUTPUT_LANGUAGES,
        description="Target language names; one proofread per language",
    )
    title: Title = Field(description="Title for the proofread job")
    brand_voice_id: ResourceId | None = Field(
        default=None, description="Legacy name of brand_glossary_id"
    )
    brand_glossary_id: ResourceId | None = Field(
        default=None, description="Brand glossary for custom term translations"
    )
    speaker_num: Count | None = Field(default=None, description="Number of speakers")
    folder_id: ResourceId | None = Field(
        default=None, description="Folder to organize the proofread"
    )
    enable_video_stretching: Flag = Field(
        default=False, description="Allow dynamic duration adjustment"
    )
    disable_music_track: Flag = Field(default=False, description="Remove background music")
    enable_speech_enhancement: Flag = Field(default=False, description="Enhance speech quality")
    srt: AssetRef | None = Field(default=None, description="Initial SRT file (the source script)")
    mode: VideoTranslationMode = Field(
        default=VideoTranslationMode.speed, description="'speed' or 'precision'"
    )
    keep_the_same_format: Flag = Field(
        default=False, description="Preserve the source video's encoding specs"
    )


class ProofreadCreated(BaseModel):
    proofread_ids: list[str] = Field(description="Proofread IDs, one per target language")
    status: ProofreadStatus = Field(description="Initial status (always processing)")


class ProofreadPublic(BaseModel):
    """A proofread session: one language's translated script, to review before dubbing."""

    id: str
    title: str | None
    status: ProofreadStatus
    input_language: str | None = Field(description="The source's language, once detected")
    output_language: str
    submitted_for_review: bool = Field(description="Whether a video was generated from it")
    created_at: int
    failure_message: str | None = None


class ProofreadSrtLink(BaseModel):
    srt_url: str = Field(description="Signed, expiring URL of the SRT (the edited one if any)")
    original_srt_url: str | None = Field(
        default=None, description="The SRT given at creation (its URL, or the asset signed)"
    )


class UploadProofreadSrtRequest(BaseModel):
    """Body of PUT /v3/video-translations/proofreads/{id}/srt."""

    model_config = REQUEST_CONFIG
    srt: AssetRef = Field(description="The edited SRT: {type: 'url', url} or {type: 'asset_id'}")


class ProofreadSrtUploaded(ProofreadPublic):
    """The proofread session after the upload (HeyGen's answer), and what the upload changed."""

    edited_segments: int = Field(description="How many lines the upload changed")


class GenerateFromProofreadRequest(BaseModel):
    """Body of POST /v3/video-translations/proofreads/{id}/generate."""

    model_config = REQUEST_CONFIG
    captions: Flag = Field(default=False, description="Embed captions in the video")
    translate_audio_only: Flag = Field(default=False, description="Keep the original frames")
    callback_url: Url | None = Field(default=None, description="Webhook URL")
    callback_id: CallbackId | None = Field(
        default=None, description="ID included in webhook payload"
    )


class GeneratedVideoTranslation(BaseModel):
    video_translation_id: str
    status: Literal["processing"] = Field(description="Initial status (always processing)")


# -- the studio's segment editor (Polydub extensions, not in HeyGen's reference) -----------------

SegmentTime = Annotated[float, Field(ge=0.0, le=86400.0)]
SegmentIndex = Annotated[int, Field(ge=0, le=1_000_000)]
VoiceId = Annotated[str, Field(min_length=1, max_length=200)]
SpeakerLabel = Annotated[str, Field(min_length=1, max_length=64)]
SegmentText = Annotated[str, Field(max_length=2000)]


class ProofreadSpeaker(BaseModel):
    speaker: str
    voice_id: str | None = Field(
        description="The voice the last generated video gave the speaker (null before one)"
    )


class ProofreadVoice(BaseModel):
    voice_id: str
    name: str


class ProofreadSegment(BaseModel):
    """One line of the script: the machine translation with the reviewer's edits laid over."""

    index: int
    start: float = Field(description="Seconds on the source timeline")
    end: float
    speaker: str
    source_text: str
    translation: str
    voice_id: str | None = Field(description="The voice chosen for this line (null: speaker's)")
    quality: float | None = Field(description="Translation-quality signal, 0..1 (low: review)")
    rate: float | None = Field(description="Speech rate of the last generated dub (1 = natural)")
    slowdown: float | None = Field(
        description="How much the last generated dub slowed the video at this line (1 = not)"
    )
    edited: bool = Field(description="Whether a reviewer changed any field of this line")


class ProofreadSegments(BaseModel):
    """The proofread's script as the studio edits it."""

    proofread_id: str
    output_language: str
    status: ProofreadStatus
    source_video_url: str | None = Field(description="The source video, playable (signed)")
    video_translation_id: str | None = Field(
        description="The latest video translation generated from this proofread"
    )
    speakers: list[ProofreadSpeaker]
    voices: list[ProofreadVoice] = Field(description="Voices a line can be given")
    glossary_terms: list[str]
    segments: list[ProofreadSegment]


class SegmentChange(BaseModel):
    """Fields to change on one segment; absent fields stay as they are."""

    model_config = REQUEST_CONFIG
    index: SegmentIndex
    translation: SegmentText | None = None
    speaker: SpeakerLabel | None = None
    voice_id: VoiceId | None = Field(default=None, description="null clears a chosen voice")
    start: SegmentTime | None = None
    end: SegmentTime | None = None


class UpdateProofreadSegmentsRequest(BaseModel):
    """Body of PATCH /v3/video-translations/proofreads/{id}/segments."""

    model_config = REQUEST_CONFIG
    segments: list[SegmentChange] = Field(min_length=1, max_length=5000)


class AuditionRequest(BaseModel):
    """Body of POST /v3/video-translations/proofreads/{id}/audition."""

    model_config = REQUEST_CONFIG
    index: SegmentIndex
    translation: SegmentText | None = Field(
        default=None, description="Text to speak (default: the line's current translation)"
    )
    voice_id: VoiceId | None = Field(default=None, description="Voice (default: the dub's)")


class Audition(BaseModel):
    audio_url: str = Field(description="Signed, expiring URL of a WAV of the line alone")
    duration: float
    voice_id: str
