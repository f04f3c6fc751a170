"""Uploaded assets: what POST /v3/assets and GET /v3/assets/{id} answer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AssetPublic(BaseModel):
    """An uploaded file, usable as `{"type": "asset_id", "asset_id": id}` in requests."""

    id: str = Field(description="Asset ID, for asset_id inputs (video, audio, srt)")
    name: str = Field(description="The uploaded file's name, as the client sent it")
    file_type: str = Field(description="What the content is: video | audio | image | srt | vtt")
    format: str = Field(
        description="Container or text format found in the content: mp4, mov, webm, mkv, avi, "
        "wav, mp3, m4a, ogg, flac, png, jpeg, srt or vtt"
    )
    content_type: str = Field(description="MIME type of the content (sniffed, not declared)")
    size: int = Field(description="Size in bytes")
    created_at: int = Field(description="Upload time, Unix seconds")
    url: str | None = Field(default=None, description="Expiring signed download URL")


class AssetDeleted(BaseModel):
    id: str
    deleted: bool = True
