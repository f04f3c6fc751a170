"""Assets: what the /v3/assets endpoints take and answer, in HeyGen's field names.

HeyGen names an asset `asset_id` in upload answers and `id` in reads; it has `mime_type`,
`size_bytes`, `type`, `uploaded_at`. Polydub's earlier names (`id`, `file_type`, `format`,
`content_type`, `size`, `created_at`) stay in every answer as extra fields: existing clients
and tests read them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from polydub.api.schemas.fields import REQUEST_CONFIG, Count, ResourceId, Title, Url

MAX_BATCH_FILES = 100
Sha256Hex = Annotated[str, Field(min_length=64, max_length=64, pattern=r"^[0-9a-fA-F]{64}$")]
# No NUL (PostgreSQL text cannot hold one), as every other text field.
FileName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\x00]+$")]
MimeType = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]


class AssetPublic(BaseModel):
    """An asset, usable as `{"type": "asset_id", "asset_id": asset_id}` once completed."""

    asset_id: str = Field(description="Asset ID, for asset_id inputs")
    id: str = Field(description="The same asset ID (HeyGen's name in reads)")
    name: str = Field(description="The file's name, as the client sent it")
    type: str = Field(description="What the content is: video | audio | image | srt | vtt")
    mime_type: str = Field(description="MIME type of the content (sniffed, not declared)")
    size_bytes: int = Field(description="Size in bytes")
    url: str | None = Field(default=None, description="Expiring signed download URL")
    owner: str = Field(description="Name of the API key that uploaded it")
    space_id: str = Field(description="ID of the API key that owns it (its workspace)")
    folder_id: str | None = Field(default=None, description="Always null: no folders")
    uploaded_at: int = Field(description="Upload time, Unix seconds")
    status: str = Field(
        description="completed (usable), or for a direct upload pending_upload, processing, failed"
    )
    error: dict | None = Field(default=None, description="{code, message} when failed")
    # Polydub's earlier names, kept for existing clients.
    file_type: str = Field(description="Same as type")
    format: str = Field(
        description="Container or text format found in the content: mp4, mov, webm, mkv, avi, "
        "wav, mp3, m4a, ogg, flac, png, jpeg, srt or vtt"
    )
    content_type: str = Field(description="Same as mime_type")
    size: int = Field(description="Same as size_bytes")
    created_at: int = Field(description="Same as uploaded_at")


class AssetList(BaseModel):
    data: list[AssetPublic]
    has_more: bool
    next_token: str | None = None


class AssetDeleted(BaseModel):
    id: str
    deleted: bool = True


class DirectUploadRequest(BaseModel):
    """A file to upload straight to storage (POST /v3/assets/direct-uploads)."""

    model_config = REQUEST_CONFIG
    filename: FileName
    content_type: MimeType = Field(description="Declared MIME type, checked at completion")
    size_bytes: Count = Field(description="Exact size in bytes; the upload may not exceed it")
    checksum_sha256: Sha256Hex | None = None


class DirectUploadBatchRequest(BaseModel):
    model_config = REQUEST_CONFIG
    files: list[DirectUploadRequest] = Field(min_length=1, max_length=MAX_BATCH_FILES)
    title: Title | None = None
    callback_url: Url | None = Field(
        default=None, description="Accepted for parity; asset completion sends no webhook"
    )


class UploadSlot(BaseModel):
    asset_id: str
    upload_url: str = Field(description="PUT the raw bytes here (empty when the item failed)")
    upload_headers: dict[str, str] = Field(description="Send these headers with the PUT")
    expires_in_seconds: int
    max_bytes: int
    status: str = Field(description="pending_upload, or failed for a refused batch item")
    error: dict | None = Field(default=None, description="{code, message} when failed")


class DirectUploadBatch(BaseModel):
    batch_id: str
    items: list[UploadSlot]


class CompleteUploadRequest(BaseModel):
    model_config = REQUEST_CONFIG
    checksum_sha256: Sha256Hex | None = None


class CompleteBatchRequest(BaseModel):
    model_config = REQUEST_CONFIG
    batch_id: ResourceId


class CompletedAsset(BaseModel):
    asset_id: str
    url: str
    mime_type: str
    size_bytes: int
    status: str


class CompleteBatchAccepted(BaseModel):
    batch_id: str
    status: str
    total_items: int


class AssetBatchItem(BaseModel):
    item_index: int
    status: str = Field(description="queued | processing | completed | failed")
    video_id: str | None = Field(description="The asset ID (HeyGen's shared batch field name)")
    asset_id: str
    error: dict | None = None


class AssetBatch(BaseModel):
    batch_id: str
    title: str | None
    status: str = Field(description="processing | completed | failed")
    total_items: int
    counts_by_status: dict[str, int]
    created_at: int
    items: list[AssetBatchItem]
    has_more: bool
    next_token: str | None = None


class AssetStatus(BaseModel):
    video_id: str | None = Field(description="The asset ID (HeyGen's shared field name)")
    asset_id: str | None
    status: str = Field(description="queued | processing | completed | failed | not_found")
    error: dict | None = None
    batch_id: str | None = None
    item_index: int | None = None


class AssetStatusList(BaseModel):
    data: list[AssetStatus]
    has_more: bool = False
    next_token: str | None = None
