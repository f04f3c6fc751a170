"""Request and response shapes of HeyGen's bulk endpoints: batches of translations or lip
syncs, and the bulk status read. A batch's payloads are checked one by one (each like its
single create), so the batch request types them loosely: a bad payload fails alone."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from polydub.api.schemas.fields import REQUEST_CONFIG, Title, Url

MAX_BATCH_ITEMS = 100  # HeyGen caps a batch at 100 items (after expanding languages)

ItemStatus = Literal["queued", "processing", "completed", "failed"]


class _BatchRequest(BaseModel):
    """What every batch body has besides its payloads."""

    model_config = REQUEST_CONFIG
    title: Title | None = Field(default=None, description="Display name for the batch")
    callback_url: Url | None = Field(
        default=None, description="Webhook URL, called once when every item has finished"
    )


class VideoTranslationBatchRequest(_BatchRequest):
    """Body of POST /v3/video-translations/batches."""

    video_translations: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        description="Payloads shaped like POST /v3/video-translations; one item per language",
    )


class LipsyncBatchRequest(_BatchRequest):
    """Body of POST /v3/lipsyncs/batches."""

    lipsyncs: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH_ITEMS,
        description="Payloads shaped like POST /v3/lipsyncs; one item each",
    )


class BatchItem(BaseModel):
    item_index: int
    payload_index: int = Field(description="Which submitted payload the item came from")
    status: ItemStatus
    video_id: str | None = Field(description="The job's id (a translation or lip sync id)")
    error: dict[str, Any] | None = Field(description="{code, message, param} when failed")


class BatchPublic(BaseModel):
    batch_id: str
    title: str | None
    status: Literal["processing", "completed", "failed"]
    total_items: int
    counts_by_status: dict[str, int]
    created_at: int
    callback_url: str | None
    items: list[BatchItem]
    has_more: bool
    next_token: str | None


class StatusEntry(BaseModel):
    video_id: str | None
    status: Literal["queued", "processing", "completed", "failed", "not_found"]
    error: dict[str, Any] | None = None
    batch_id: str | None = None
    item_index: int | None = None


class StatusList(BaseModel):
    data: list[StatusEntry]
    has_more: bool
    next_token: str | None
