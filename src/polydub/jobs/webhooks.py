"""Webhooks: a translation's callback_url is POSTed when it completes or fails.

Body: {"event_type": "video_translate.success" | "video_translate.fail",
       "event_data": {"video_translation_id", "status", "url", "callback_id",
                      "failure_message", "output_language"}}

Header `X-Polydub-Signature: t=<unix seconds>,v1=<hex>`, where hex is HMAC-SHA256, keyed by the
service's signing secret (POLYDUB_SIGNING_SECRET, or data_dir/signing.secret when generated),
of "<t>.<raw body>". Receivers recompute it and reject old timestamps to stop replays.

Delivery runs on a background thread, with a timeout per attempt and exponential backoff
(1, 2, 4, ... s) up to settings.webhook_max_attempts; every connection passes the SSRF guard.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable

import httpx
from sqlalchemy import select, update

from polydub.api.signing import context_file_url
from polydub.jobs.models import Translation
from polydub.jobs.netguard import UnsafeUrlError, guarded_client

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
    with context.db.session() as session:
        row = session.get(Translation, translation_id)
        if row is None or not row.callback_url or row.webhook_delivered:
            return None
        url = row.callback_url
        payload = translation_event(row, context_file_url(context, row.video_key))

    def record(attempt: int, ok: bool) -> None:
        with context.db.session() as session:
            session.execute(
                update(Translation)
                .where(Translation.id == translation_id)
                .values(webhook_attempts=Translation.webhook_attempts + 1, webhook_delivered=ok)
            )

    settings = context.settings
    thread = threading.Thread(
        target=deliver,
        args=(url, payload, context.secret),
        kwargs={
            "max_attempts": settings.webhook_max_attempts,
            "allow_private": settings.allow_private_urls,
            "on_attempt": record,
        },
        name=f"polydub-webhook-{translation_id}",
        daemon=True,
    )
    thread.start()
    return thread


def resend_undelivered(context) -> None:
    """After a restart: send webhooks of finished translations that never got through."""
    with context.db.session() as session:
        ids = session.scalars(
            select(Translation.id).where(
                Translation.status.in_(("completed", "failed")),
                Translation.callback_url.is_not(None),
                Translation.webhook_delivered.is_(False),
                Translation.webhook_attempts == 0,
            )
        ).all()
    for translation_id in ids:
        notify_translation(context, translation_id)
