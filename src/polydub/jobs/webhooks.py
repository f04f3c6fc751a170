"""Webhooks: a job's callback_url, and each of its owner's registered endpoints whose filter
takes the event (jobs/webhook_endpoints.py), are POSTed when it completes or fails.

Body of a translation: {"event_type": "video_translate.success" | "video_translate.fail",
       "event_data": {"video_translation_id", "status", "url", "callback_id",
                      "failure_message", "output_language"}}
Body of a lip sync: {"event_type": "lipsync.success" | "lipsync.fail",
       "event_data": {"lipsync_id", "status", "url", "callback_id", "failure_message"}}

Header `X-Polydub-Signature: t=<unix seconds>,v1=<hex>`, where hex is HMAC-SHA256 of
"<t>.<raw body>", keyed, for a callback_url, by the service's signing secret
(POLYDUB_SIGNING_SECRET, or data_dir/signing.secret when generated), and for a registered
endpoint by that endpoint's own secret (its current one, at each attempt). Receivers
recompute it and reject old timestamps to stop replays.
Header `X-Polydub-Event-Id`: the delivery's id, the same on every attempt of one event to one
destination, for receivers to dedupe.

A finished job records its event in the database (webhook_store); the dispatcher of
`polydub serve` (webhook_dispatcher) sends it, retrying for hours, across restarts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, select

from polydub.jobs.models import (
    CALLBACK_DESTINATION,
    Lipsync,
    Translation,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from polydub.jobs.netguard import UnsafeUrlError
from polydub.jobs.webhook_endpoints import endpoints_for_event
from polydub.jobs.webhook_policy import AttemptOutcome, outcome_of_status
from polydub.jobs.webhook_store import event_recorded, record_event
from polydub.request_ids import HEADER as REQUEST_ID_HEADER
from polydub.request_ids import current_request_id
from polydub.storage.signed_urls import context_file_url

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Polydub-Signature"
EVENT_ID_HEADER = "X-Polydub-Event-Id"


def sign_webhook(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_webhook(
    secret: str, body: bytes, header: str, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """What a receiver does: check the HMAC and that the timestamp is recent."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = sign_webhook(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def translation_event(row: Translation, video_url: str | None) -> dict:
    """The webhook body for a finished translation."""
    success = row.status == "completed"
    return {
        "event_type": "video_translate.success" if success else "video_translate.fail",
        "event_data": {
            "video_translation_id": row.id,
            "status": row.status,
            "url": video_url if success else None,
            "callback_id": row.callback_id,
            "failure_message": row.failure_message,
            "output_language": row.output_language,
        },
    }


def lipsync_event(row: Lipsync, video_url: str | None) -> dict:
    """The webhook body for a finished lip sync."""
    success = row.status == "completed"
    return {
        "event_type": "lipsync.success" if success else "lipsync.fail",
        "event_data": {
            "lipsync_id": row.id,
            "status": row.status,
            "url": video_url if success else None,
            "callback_id": row.callback_id,
            "failure_message": row.failure_message,
        },
    }


# The tables whose rows send webhooks, and the body each sends.
EVENTS: dict[type, Callable[..., dict]] = {Translation: translation_event, Lipsync: lipsync_event}
ENTITY_KINDS: dict[type, str] = {Translation: "translation", Lipsync: "lipsync"}


def post_event(
    client: httpx.Client,
    url: str,
    body: dict,
    event_id: str,
    secret: str,
    now: datetime,
    request_id: str | None = None,
) -> AttemptOutcome:
    """POST a recorded event once, signed at this moment; what the receiver answered.

    `request_id` is that of the request that created the job (sent as X-Request-Id). A URL
    the SSRF guard refuses is final: the answer would not change.
    """
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign_webhook(secret, raw, int(time.time())),
        EVENT_ID_HEADER: event_id,
    }
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    try:
        response = client.post(url, content=raw, headers=headers)
    except UnsafeUrlError as exc:
        return AttemptOutcome(delivered=False, final=True, error=f"refused: {exc}")
    except httpx.HTTPError as exc:
        return AttemptOutcome(delivered=False, error=type(exc).__name__)
    return outcome_of_status(response.status_code, response.headers.get("retry-after"), now)


def notify_translation(context, translation_id: str) -> str | None:
    """Record the finished translation's webhook, if it has a callback_url; the event id."""
    return notify(context, Translation, translation_id)


def notify_lipsync(context, lipsync_id: str) -> str | None:
    """Record the finished lip sync's webhook, if it has a callback_url; the event id."""
    return notify(context, Lipsync, lipsync_id)


def notify(context, model: type, row_id: str) -> str | None:
    """Record the webhook of a finished job row (Translation or Lipsync) for delivery to its
    callback_url and to its owner's endpoints whose filter takes it, and wake this process's
    dispatcher; the first delivery's id, or None when there is nothing new to send."""
    with context.db.session() as session:
        row = session.get(model, row_id)
        if row is None or row.status not in ("completed", "failed"):
            return None
        body = EVENTS[model](row, context_file_url(context, row.video_key))
        owner_id = row.owner_id
        callback_url = getattr(row, "callback_url", None)  # a job kind may have none
        destinations = [(CALLBACK_DESTINATION, callback_url)] if callback_url else []
        destinations += [
            (endpoint.id, endpoint.url)
            for endpoint in endpoints_for_event(
                session, owner_id, body["event_type"], row_id, row.updated_at
            )
        ]
    event_id = record_event(
        context.db,
        owner_id=owner_id,
        entity_kind=ENTITY_KINDS[model],
        entity_id=row_id,
        destinations=destinations,
        body=body,
        request_id=current_request_id(),  # the job's, set while it runs
    )
    if event_id is not None:
        logger.info(
            "webhook %s of %s %s recorded for %d destination(s)",
            event_id,
            ENTITY_KINDS[model],
            row_id,
            len(destinations),
        )
    return event_id


def resend_undelivered(context) -> int:
    """At start: record the webhooks of finished jobs that have none, so they go out (jobs
    with a callback_url, or whose owner had a webhook endpoint when they finished).

    Covers jobs finished before deliveries were stored in the database (their old
    webhook_delivered flag is still false) and a process that died between finishing a job
    and recording its event. Jobs finished longer ago than the retry window are left alone.
    Returns how many events were recorded.
    """
    since = utcnow() - timedelta(seconds=context.settings.webhook_retry_window_s)
    recorded = 0
    for model in EVENTS:
        with context.db.session() as session:
            ids = session.scalars(
                select(model.id).where(
                    model.status.in_(("completed", "failed")),
                    or_(model.callback_url.is_not(None), _had_endpoint(model)),
                    model.webhook_delivered.is_(False),
                    model.updated_at >= since,
                    ~select(WebhookDelivery.id)
                    .where(WebhookDelivery.entity_id == model.id)
                    .exists(),
                )
            ).all()
        for row_id in ids:
            if not event_recorded(context.db, row_id) and notify(context, model, row_id):
                recorded += 1
    return recorded


def _had_endpoint(model: type):
    """SQL: the job's owner had registered a webhook endpoint by the time it finished."""
    return (
        select(WebhookEndpoint.id)
        .where(
            WebhookEndpoint.owner_id == model.owner_id,
            WebhookEndpoint.created_at <= model.updated_at,
        )
        .exists()
    )
