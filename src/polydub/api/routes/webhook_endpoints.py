"""/v3/webhooks/endpoints and /v3/webhooks/event-types (HeyGen's Webhooks resource): URLs a
key registers, each with its own signing secret and event filter, to receive the events of
that key's jobs (jobs/webhooks.py records them, the dispatcher sends them).

Deleting or disabling an endpoint cancels its undelivered events; rotating its secret takes
effect at the next attempt, with no grace period for the old one (jobs/webhook_endpoints.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import invalid, not_found
from polydub.api.pagination import as_utc, newest_first_page
from polydub.api.schemas.common import DataEnvelope
from polydub.api.schemas.webhooks import (
    EndpointDeleted,
    RotatedSecret,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookEventType,
    WebhookEventTypeList,
)
from polydub.jobs.models import WebhookEndpoint, utcnow
from polydub.jobs.netguard import UnsafeUrlError, check_url
from polydub.jobs.webhook_endpoints import cancel_pending, new_secret, redirect_pending
from polydub.jobs.webhook_events import SENT_EVENT_TYPES

router = APIRouter(prefix="/v3/webhooks", tags=["Webhooks"])

# Every event of a key fans out to each of its endpoints: keep the fan-out bounded.
MAX_ENDPOINTS_PER_KEY = 50


def _public(row: WebhookEndpoint, *, secret: bool = False) -> WebhookEndpointPublic:
    return WebhookEndpointPublic(
        endpoint_id=row.id,
        url=row.url,
        status=row.status,
        created_at=as_utc(row.created_at).isoformat(),
        events=row.events,
        secret=row.secret if secret else None,
        entity_id=row.entity_id,
        updated_at=as_utc(row.updated_at).isoformat(),
    )


def _owned(session: Session, owner_id: str, endpoint_id: str) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id)
    if row is None or row.owner_id != owner_id:
        raise not_found("webhook endpoint", "endpoint_id")
    return row


def _check_url(url: str, allow_private: bool) -> None:
    try:
        check_url(url, allow_private=allow_private)
    except UnsafeUrlError as exc:
        raise invalid(str(exc), "url") from exc


@router.post("/endpoints")
def create_webhook_endpoint(
    endpoint_in: WebhookEndpointCreate, key: CurrentKey, session: SessionDep, context: ContextDep
) -> DataEnvelope[WebhookEndpointPublic]:
    """Register a URL for the key's webhook events; the answer holds its signing secret,
    shown this once."""
    _check_url(endpoint_in.url, context.settings.allow_private_urls)
    count = session.scalar(
        select(func.count(WebhookEndpoint.id)).where(WebhookEndpoint.owner_id == key.id)
    )
    if count >= MAX_ENDPOINTS_PER_KEY:
        raise invalid(f"a key may register at most {MAX_ENDPOINTS_PER_KEY} webhook endpoints")
    row = WebhookEndpoint(
        owner_id=key.id,
        url=endpoint_in.url,
        events=endpoint_in.events,
        entity_id=endpoint_in.entity_id,
        status="enabled",
        secret=new_secret(),
    )
    session.add(row)
    session.commit()  # in this worker thread, not in the dependency's exit on the event loop
    return DataEnvelope(data=_public(row, secret=True))


@router.get("/endpoints")
def list_webhook_endpoints(
    key: CurrentKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    token: Annotated[
        str | None, Query(max_length=500, description="next_token of the previous page")
    ] = None,
    next_token: Annotated[str | None, Query(max_length=500, include_in_schema=False)] = None,
) -> WebhookEndpointList:
    """The key's webhook endpoints, newest first, a page at a time (secrets not shown)."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.owner_id == key.id)
    page, has_more, after = newest_first_page(
        session, query, WebhookEndpoint, limit, token or next_token
    )
    return WebhookEndpointList(
        data=[_public(row) for row in page], has_more=has_more, next_token=after
    )


@router.patch("/endpoints/{endpoint_id}")
def update_webhook_endpoint(
    endpoint_id: str,
    endpoint_in: WebhookEndpointUpdate,
    key: CurrentKey,
    session: SessionDep,
    context: ContextDep,
) -> DataEnvelope[WebhookEndpointPublic]:
    """Change an endpoint's URL, event filter (replaced whole) or status; disabling it
    cancels its undelivered events."""
    row = _owned(session, key.id, endpoint_id)
    if endpoint_in.url is not None and endpoint_in.url != row.url:
        _check_url(endpoint_in.url, context.settings.allow_private_urls)
        row.url = endpoint_in.url
        redirect_pending(session, row.id, row.url)
    if "events" in endpoint_in.model_fields_set:
        row.events = endpoint_in.events
    if endpoint_in.status is not None and endpoint_in.status != row.status:
        row.status = endpoint_in.status
        if row.status == "disabled":
            cancel_pending(session, row.id, "endpoint disabled")
    row.updated_at = utcnow()
    session.commit()
    return DataEnvelope(data=_public(row))


@router.delete("/endpoints/{endpoint_id}")
def delete_webhook_endpoint(
    endpoint_id: str, key: CurrentKey, session: SessionDep
) -> DataEnvelope[EndpointDeleted]:
    """Remove an endpoint for good; its undelivered events are cancelled (the history keeps
    what was sent)."""
    row = _owned(session, key.id, endpoint_id)
    cancel_pending(session, row.id, "endpoint deleted")
    session.delete(row)
    session.commit()
    return DataEnvelope(data=EndpointDeleted(endpoint_id=endpoint_id))


@router.post("/endpoints/{endpoint_id}/rotate-secret")
def rotate_webhook_secret(
    endpoint_id: str, key: CurrentKey, session: SessionDep
) -> DataEnvelope[RotatedSecret]:
    """A new signing secret for the endpoint, shown this once; the old one stops at once
    (every later attempt, retries included, is signed with the new one)."""
    row = _owned(session, key.id, endpoint_id)
    row.secret = new_secret()
    row.secret_rotated_at = row.updated_at = utcnow()
    session.commit()
    return DataEnvelope(data=RotatedSecret(endpoint_id=row.id, secret=row.secret))


@router.get("/event-types")
def list_webhook_event_types(key: CurrentKey) -> WebhookEventTypeList:
    """The event types Polydub sends, with when each fires."""
    return WebhookEventTypeList(
        data=[
            WebhookEventType(event_type=name, description=text)
            for name, text in SENT_EVENT_TYPES.items()
        ],
        has_more=False,
        next_token=None,
    )
