"""Schemas of HeyGen's Webhooks resource: endpoints, event types and the event history."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from polydub.api.schemas.fields import REQUEST_CONFIG, ResourceId, Url
from polydub.jobs.webhook_events import SUBSCRIBABLE_EVENT_TYPES

MAX_EVENT_TYPE = 100
MAX_EVENT_FILTER = len(SUBSCRIBABLE_EVENT_TYPES)  # each at most once


def _known_event_type(value: str) -> str:
    if value not in SUBSCRIBABLE_EVENT_TYPES:
        raise ValueError(
            f"unknown event type '{value}'; GET /v3/webhooks/event-types lists those sent"
        )
    return value


def _distinct(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if not values:
        raise ValueError("name at least one event type, or send null for every event")
    return list(dict.fromkeys(values))


EventType = Annotated[str, Field(max_length=MAX_EVENT_TYPE), AfterValidator(_known_event_type)]
EventFilter = Annotated[
    list[EventType] | None,
    Field(max_length=MAX_EVENT_FILTER),
    AfterValidator(_distinct),
]


class WebhookEndpointCreate(BaseModel):
    """POST /v3/webhooks/endpoints: HeyGen's fields (`events` null or absent: every event)."""

    model_config = REQUEST_CONFIG
    url: Url
    events: EventFilter = None
    entity_id: ResourceId | None = None  # only this translation's or lip sync's events


class WebhookEndpointUpdate(BaseModel):
    """PATCH /v3/webhooks/endpoints/{endpoint_id}: what is sent changes; `events` is replaced
    whole (null: every event). `status` (enabled | disabled) is Polydub's addition."""

    model_config = REQUEST_CONFIG
    url: Url | None = None
    events: EventFilter = None
    status: Literal["enabled", "disabled"] | None = None


class WebhookEndpointPublic(BaseModel):
    """A registered endpoint; `secret` only in the answers of create (and rotate-secret)."""

    endpoint_id: str
    url: str
    status: str
    created_at: str  # ISO 8601
    events: list[str] | None
    secret: str | None = None
    # Polydub's additions
    entity_id: str | None = None
    updated_at: str | None = None


class WebhookEndpointList(BaseModel):
    data: list[WebhookEndpointPublic]
    has_more: bool
    next_token: str | None


class RotatedSecret(BaseModel):
    endpoint_id: str
    secret: str


class EndpointDeleted(BaseModel):
    endpoint_id: str  # Polydub's addition; HeyGen answers an empty object


class WebhookEventType(BaseModel):
    event_type: str
    description: str


class WebhookEventTypeList(BaseModel):
    data: list[WebhookEventType]
    has_more: bool
    next_token: str | None


class WebhookEventPublic(BaseModel):
    """A webhook event, as GET /v3/webhooks/events lists it: one per event and destination."""

    event_id: str
    event_type: str
    event_data: dict
    created_at: str  # ISO 8601
    # Polydub's additions: where it went and how that went.
    endpoint_id: str | None = None  # None: the job's own callback_url
    status: str | None = None  # pending | delivered | failed | cancelled
    attempts: int | None = None
    delivered_at: str | None = None


class WebhookEventList(BaseModel):
    data: list[WebhookEventPublic]
    has_more: bool
    next_token: str | None
