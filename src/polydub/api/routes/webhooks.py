"""/v3/webhooks/events: the history of the caller's webhook events (HeyGen's Webhooks
resource), newest first; the events are the deliveries the dispatcher sends, one per event
and destination (the job's callback_url, or a registered endpoint: `endpoint_id`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from polydub.api.deps import CurrentKey, SessionDep
from polydub.api.pagination import as_utc, newest_first_page
from polydub.api.schemas.webhooks import WebhookEventList, WebhookEventPublic
from polydub.jobs.models import CALLBACK_DESTINATION, WebhookDelivery

router = APIRouter(prefix="/v3/webhooks", tags=["Webhooks"])


@router.get("/events", response_model=WebhookEventList)
def list_webhook_events(
    key: CurrentKey,
    session: SessionDep,
    event_type: Annotated[
        str | None, Query(max_length=100, description="e.g. video_translate.success")
    ] = None,
    entity_id: Annotated[
        str | None, Query(max_length=255, description="A translation or lip sync id")
    ] = None,
    endpoint_id: Annotated[
        str | None,
        Query(max_length=255, description="Only deliveries to this endpoint (Polydub's addition)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    token: Annotated[
        str | None, Query(max_length=500, description="next_token of the previous page")
    ] = None,
    next_token: Annotated[str | None, Query(max_length=500, include_in_schema=False)] = None,
) -> dict:
    """The caller's webhook events (pending, delivered or given up), newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.owner_id == key.id)
    if event_type:
        query = query.where(WebhookDelivery.event_type == event_type)
    if entity_id:
        query = query.where(WebhookDelivery.entity_id == entity_id)
    if endpoint_id:
        query = query.where(WebhookDelivery.destination == endpoint_id)
    page, has_more, after = newest_first_page(
        session, query, WebhookDelivery, limit, token or next_token
    )
    return {
        "data": [public_event(row).model_dump() for row in page],
        "has_more": has_more,
        "next_token": after,
    }


def public_event(row: WebhookDelivery) -> WebhookEventPublic:
    return WebhookEventPublic(
        event_id=row.id,
        event_type=row.event_type,
        event_data=row.body.get("event_data", {}),
        created_at=as_utc(row.created_at).isoformat(),
        endpoint_id=None if row.destination == CALLBACK_DESTINATION else row.destination,
        status=row.status,
        attempts=row.attempts,
        delivered_at=as_utc(row.delivered_at).isoformat() if row.delivered_at else None,
    )
