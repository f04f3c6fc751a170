"""Schemas of HeyGen's Webhooks resource: the event history."""

from __future__ import annotations

from pydantic import BaseModel


class WebhookEventPublic(BaseModel):
    """A webhook event, as GET /v3/webhooks/events lists it."""

    event_id: str
    event_type: str
    event_data: dict
    created_at: str  # ISO 8601


class WebhookEventList(BaseModel):
    data: list[WebhookEventPublic]
    has_more: bool
    next_token: str | None
