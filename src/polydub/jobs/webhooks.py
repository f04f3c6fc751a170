"""Webhooks: a job's callback_url is POSTed when it completes or fails.

Body of a translation: {"event_type": "video_translate.success" | "video_translate.fail",
       "event_data": {"video_translation_id", "status", "url", "callback_id",
                      "failure_message", "output_language"}}
Body of a lip sync: {"event_type": "lipsync.success" | "lipsync.fail",
       "event_data": {"lipsync_id", "status", "url", "callback_id", "failure_message"}}

Header `X-Polydub-Signature: t=<unix seconds>,v1=<hex>`, where hex is HMAC-SHA256, keyed by the
service's signing secret (POLYDUB_SIGNING_SECRET, or data_dir/signing.secret when generated),
of "<t>.<raw body>". Receivers recompute it and reject old timestamps to stop replays.

Delivery runs on a background thread, with a timeout per attempt and exponential backoff
(1, 2, 4, ... s) up to settings.webhook_max_attempts; every connection passes the SSRF guard.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable

import httpx
from sqlalchemy import select, update

from polydub.jobs.models import Lipsync, Translation
from polydub.jobs.netguard import UnsafeUrlError, guarded_client
from polydub.request_ids import HEADER as REQUEST_ID_HEADER
from polydub.request_ids import current_request_id
from polydub.storage.signed_urls import context_file_url

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Polydub-Signature"
ATTEMPT_TIMEOUT_S = 10.0


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


def deliver(
    url: str,
    payload: dict,
    secret: str,
    *,
    max_attempts: int,
    allow_private: bool,
    base_delay_s: float = 1.0,
    timeout_s: float = ATTEMPT_TIMEOUT_S,
    on_attempt: Callable[[int, bool], None] = lambda attempt, ok: None,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """POST `payload` until a 2xx answer or `max_attempts` tries; True when delivered.

    A URL the SSRF guard refuses is not retried: the answer would not change.
    """
    body = json.dumps(payload, separators=(",", ":")).encode()
    with guarded_client(allow_private=allow_private, timeout=timeout_s) as client:
        for attempt in range(1, max_attempts + 1):
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign_webhook(secret, body, int(time.time())),
            }
            if request_id := current_request_id():  # the request that created the job
                headers[REQUEST_ID_HEADER] = request_id
            try:
                response = client.post(url, content=body, headers=headers)
                ok = 200 <= response.status_code < 300
                reason = f"HTTP {response.status_code}"
            except UnsafeUrlError as exc:
                logger.warning("webhook %s refused: %s", url, exc)
                on_attempt(attempt, False)
                return False
            except httpx.HTTPError as exc:
                ok, reason = False, type(exc).__name__
            on_attempt(attempt, ok)
            if ok:
                return True
            logger.info("webhook %s attempt %d failed (%s)", url, attempt, reason)
            if attempt < max_attempts:
                sleep(base_delay_s * 2 ** (attempt - 1))
    return False


def notify_translation(context, translation_id: str) -> threading.Thread | None:
    """Send the translation's webhook in the background, if it has a callback_url."""
    return notify(context, Translation, translation_id)


def notify_lipsync(context, lipsync_id: str) -> threading.Thread | None:
    """Send the lip sync's webhook in the background, if it has a callback_url."""
    return notify(context, Lipsync, lipsync_id)


def notify(context, model: type, row_id: str) -> threading.Thread | None:
    """Send the webhook of a finished job row (Translation or Lipsync) in the background."""
    with context.db.session() as session:
        row = session.get(model, row_id)
        if row is None or not row.callback_url or row.webhook_delivered:
            return None
        url = row.callback_url
        payload = EVENTS[model](row, context_file_url(context, row.video_key))

    def record(attempt: int, ok: bool) -> None:
        with context.db.session() as session:
            session.execute(
                update(model)
                .where(model.id == row_id)
                .values(webhook_attempts=model.webhook_attempts + 1, webhook_delivered=ok)
            )

    settings = context.settings
    thread = threading.Thread(
        target=contextvars.copy_context().run,  # the job's request id goes along
        args=(deliver, url, payload, context.secret),
        kwargs={
            "max_attempts": settings.webhook_max_attempts,
            "allow_private": settings.allow_private_urls,
            "on_attempt": record,
        },
        name=f"polydub-webhook-{row_id}",
        daemon=True,
    )
    thread.start()
    return thread


def resend_undelivered(context) -> None:
    """After a restart: send webhooks of finished jobs that never got through."""
    for model in EVENTS:
        with context.db.session() as session:
            ids = session.scalars(
                select(model.id).where(
                    model.status.in_(("completed", "failed")),
                    model.callback_url.is_not(None),
                    model.webhook_delivered.is_(False),
                    model.webhook_attempts == 0,
                )
            ).all()
        for row_id in ids:
            notify(context, model, row_id)
