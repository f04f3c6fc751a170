"""Webhook deliveries in the database: record an event once, lease due deliveries to one
dispatcher, and store each attempt's result.

Every state change is one conditional UPDATE, so any number of dispatchers (API processes,
workers) share the table: a row is sent only by the dispatcher whose claim holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from polydub.jobs.models import CALLBACK_DESTINATION, WebhookDelivery, utcnow

# Who wants to hear at once that this process recorded an event (its running dispatchers).
_listeners: set[Callable[[], None]] = set()
_listeners_lock = threading.Lock()


def listen_for_events(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` whenever this process records an event; returns the unsubscribe."""
    with _listeners_lock:
        _listeners.add(callback)

    def unsubscribe() -> None:
        with _listeners_lock:
            _listeners.discard(callback)

    return unsubscribe


def _announce() -> None:
    with _listeners_lock:
        callbacks = list(_listeners)
    for callback in callbacks:
        callback()


@dataclass(frozen=True)
class ClaimedDelivery:
    """A due delivery leased to one dispatcher until `claim_expires_at`."""

    id: str
    url: str
    body: dict
    attempts: int
    created_at: datetime
    request_id: str | None = None
    destination: str = CALLBACK_DESTINATION


def record_event(
    db,
    *,
    owner_id: str,
    entity_kind: str,
    entity_id: str,
    destinations: list[tuple[str, str]],
    body: dict,
    request_id: str | None = None,
) -> str | None:
    """Store an event to deliver now to each (destination, url): one row each, in one
    transaction. The first row's id, or None when nothing is to be sent: no destination, or
    (entity, event type) already recorded (a redelivered task finishing a job twice sends
    one event)."""
    event_type = body["event_type"]
    if not destinations or event_recorded(db, entity_id, event_type):
        return None
    rows = [
        WebhookDelivery(
            owner_id=owner_id,
            event_type=event_type,
            entity_kind=entity_kind,
            entity_id=entity_id,
            destination=destination,
            url=url,
            body=body,
            request_id=request_id,
        )
        for destination, url in destinations
    ]
    try:
        with db.session() as session:
            session.add_all(rows)
    except IntegrityError:
        if event_recorded(db, entity_id, event_type):  # another process recorded it meanwhile
            return None
        raise
    _announce()
    return rows[0].id


def event_recorded(db, entity_id: str, event_type: str | None = None) -> bool:
    """Whether an event of `entity_id` (of `event_type`, when given) is recorded."""
    query = select(WebhookDelivery.id).where(WebhookDelivery.entity_id == entity_id)
    if event_type is not None:
        query = query.where(WebhookDelivery.event_type == event_type)
    with db.session() as session:
        return session.scalar(select(exists(query))) or False


def claim_due(
    db, claimant: str, *, limit: int, lease_s: float, now: datetime | None = None
) -> list[ClaimedDelivery]:
    """Lease up to `limit` pending deliveries whose time has come to `claimant`.

    A row another dispatcher holds (unexpired claim) is skipped; a claim left by a dispatcher
    that died expires after `lease_s` and the row is claimed again.
    """
    now = now or utcnow()
    free = or_(WebhookDelivery.claim_expires_at.is_(None), WebhookDelivery.claim_expires_at < now)
    due = (WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now, free)
    with db.session() as session:
        candidates = session.scalars(
            select(WebhookDelivery.id)
            .where(*due)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        ).all()
    claimed = []
    for delivery_id in candidates:
        with db.session() as session:
            # The WHERE is checked again by the UPDATE itself: of two dispatchers racing for
            # a row, one updates it and the other updates nothing.
            won = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, *due)
                .values(claimed_by=claimant, claim_expires_at=now + timedelta(seconds=lease_s))
            ).rowcount
            if won:
                row = session.get(WebhookDelivery, delivery_id)
                created = row.created_at
                if created.tzinfo is None:  # SQLite hands back naive times; all are UTC
                    created = created.replace(tzinfo=UTC)
                claimed.append(
                    ClaimedDelivery(
                        row.id,
                        row.url,
                        row.body,
                        row.attempts,
                        created,
                        row.request_id,
                        row.destination,
                    )
                )
    return claimed


def finish_attempt(
    db,
    delivery_id: str,
    claimant: str,
    *,
    delivered: bool,
    retry_at: datetime | None,
    status_code: int | None,
    error: str | None,
    now: datetime | None = None,
) -> bool:
    """Store an attempt's result and release the claim: delivered, pending again at
    `retry_at`, or failed (given up) when neither. False when the claim was lost (it expired
    and another dispatcher took the row), so nothing is overwritten."""
    now = now or utcnow()
    if delivered:
        status = "delivered"
    else:
        status = "pending" if retry_at is not None else "failed"
    values = {
        "status": status,
        "attempts": WebhookDelivery.attempts + 1,
        "claimed_by": None,
        "claim_expires_at": None,
        "last_status_code": status_code,
        "last_error": error,
        "last_attempt_at": now,
    }
    if delivered:
        values["delivered_at"] = now
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    with db.session() as session:
        return bool(
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claimed_by == claimant)
                .values(**values)
            ).rowcount
        )


def cancel_claimed(db, delivery_id: str, claimant: str, reason: str) -> bool:
    """Stop a claimed delivery without sending it (its endpoint is gone or disabled) and
    release the claim; False when the claim was lost meanwhile."""
    with db.session() as session:
        return bool(
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claimed_by == claimant)
                .values(
                    status="cancelled", claimed_by=None, claim_expires_at=None, last_error=reason
                )
            ).rowcount
        )
