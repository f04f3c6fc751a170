"""Registered webhook endpoints: their secrets, which of them an event goes to, and what
becomes of their pending deliveries when they change.

Secret rotation takes effect at once, as HeyGen documents it ("immediately invalidates the
old one"): there is no grace period. Deliveries are signed when each attempt is made, so
every attempt after a rotation, retries of older events included, carries the new secret's
signature; receivers switch to the new secret when they store it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from polydub.jobs.models import WebhookDelivery, WebhookEndpoint
from polydub.jobs.webhook_events import takes_event

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def endpoints_for_event(
    session: Session, owner_id: str, event_type: str, entity_id: str, ended_at: datetime
) -> list[WebhookEndpoint]:
    """The owner's enabled endpoints whose filter takes this event, oldest first: those
    registered by the time the job ended (`ended_at`), so an event recorded late (after a
    crash, by resend_undelivered) goes where it would have gone then."""
    rows = session.scalars(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.owner_id == owner_id,
            WebhookEndpoint.status == "enabled",
            WebhookEndpoint.created_at <= ended_at,
        )
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ).all()
    return [row for row in rows if takes_event(row.events, row.entity_id, event_type, entity_id)]


def delivery_target(db, endpoint_id: str) -> tuple[str, str] | None:
    """(url, secret) to send an endpoint's delivery with now; None when the endpoint was
    deleted or is disabled."""
    with db.session() as session:
        row = session.get(WebhookEndpoint, endpoint_id)
        if row is None or row.status != "enabled":
            return None
        return row.url, row.secret


def cancel_pending(session: Session, endpoint_id: str, reason: str) -> int:
    """Stop the endpoint's undelivered events (it was deleted or disabled); how many.

    A delivery being sent right now finishes its attempt; the dispatcher checks the endpoint
    again before every attempt, so none follows.
    """
    return session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.destination == endpoint_id, WebhookDelivery.status == "pending")
        .values(status="cancelled", last_error=reason)
    ).rowcount


def redirect_pending(session: Session, endpoint_id: str, url: str) -> None:
    """Point the endpoint's undelivered events at its new URL (the history shows where
    each was sent; the dispatcher sends to the endpoint's URL anyway)."""
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.destination == endpoint_id, WebhookDelivery.status == "pending")
        .values(url=url)
    )
