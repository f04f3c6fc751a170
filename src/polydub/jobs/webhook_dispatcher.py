"""The webhook dispatcher: a background thread sending due deliveries from the database.

`polydub serve` runs one (started and stopped with the app). It wakes at once when this
process records an event (webhook_store.listen_for_events) and polls the table every
settings.webhook_poll_interval_s for events recorded by other processes (the job child
process, Celery workers). Rows are leased (webhook_store.claim_due), so several dispatchers,
in one or many processes, never send one delivery at once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from polydub.jobs.models import CALLBACK_DESTINATION, utcnow
from polydub.jobs.netguard import guarded_client
from polydub.jobs.webhook_endpoints import delivery_target
from polydub.jobs.webhook_policy import AttemptOutcome, RetryPolicy, next_attempt_at
from polydub.jobs.webhook_store import (
    ClaimedDelivery,
    cancel_claimed,
    claim_due,
    finish_attempt,
    listen_for_events,
)
from polydub.jobs.webhooks import post_event, resend_undelivered
from polydub.request_ids import request_id_set

logger = logging.getLogger(__name__)


class WebhookDispatcher:
    """Sends due webhook deliveries until stopped; state lives in the database only."""

    def __init__(self, context, *, rng: random.Random | None = None) -> None:
        self.context = context
        settings = context.settings
        self.policy = RetryPolicy.from_settings(settings)
        # Unique per dispatcher: claims name it, and a restarted process is a new claimant.
        self.claimant = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._senders = max(1, settings.webhook_senders)
        self._client = None
        self._pool: ThreadPoolExecutor | None = None
        self._wake = threading.Event()
        self._unlisten = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Record the events finished jobs lack (resend_undelivered), then start the background
        thread (sends what is due at once, then waits and polls)."""
        try:
            resend_undelivered(self.context)
        except Exception:  # never block the server's start on a backfill
            logger.exception("webhook dispatcher: recording missing events failed")
        settings = self.context.settings
        self._client = guarded_client(
            allow_private=settings.allow_private_urls, timeout=settings.webhook_timeout_s
        )
        self._pool = ThreadPoolExecutor(self._senders, thread_name_prefix="polydub-webhook")
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, name="polydub-webhook-dispatcher", daemon=True
        )
        self._thread.start()
        self._unlisten = listen_for_events(self.wake)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the attempts in flight; unsent deliveries stay pending in the database."""
        if self._unlisten is not None:
            self._unlisten()
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._client is not None:
            self._client.close()

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        interval = self.context.settings.webhook_poll_interval_s
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                while not self._stopping.is_set() and self.send_due():
                    pass
            except Exception:  # a database hiccup: try again at the next poll
                logger.exception("webhook dispatcher: sending due deliveries failed")
            self._wake.wait(interval)

    def send_due(self) -> int:
        """Claim what is due (up to one per sender) and send it; how many were attempted."""
        settings = self.context.settings
        claimed = claim_due(
            self.context.db,
            self.claimant,
            limit=self._senders,
            lease_s=settings.webhook_claim_lease_s,
        )
        if self._pool is None:  # not started: send on this thread (tests, one-off use)
            for delivery in claimed:
                self._attempt(delivery)
        else:
            list(self._pool.map(self._attempt, claimed))
        return len(claimed)

    def _attempt(self, delivery: ClaimedDelivery) -> None:
        with request_id_set(delivery.request_id):  # its log lines carry the job's request id
            self._send(delivery)

    def _send(self, delivery: ClaimedDelivery) -> None:
        url, secret = delivery.url, self.context.secret
        if delivery.destination != CALLBACK_DESTINATION:
            # A registered endpoint: its URL and secret as they are now (PATCH, rotation).
            target = delivery_target(self.context.db, delivery.destination)
            if target is None:
                cancel_claimed(
                    self.context.db, delivery.id, self.claimant, "endpoint deleted or disabled"
                )
                logger.info("webhook %s cancelled: its endpoint is gone", delivery.id)
                return
            url, secret = target
        client = self._client
        if client is None:
            client = guarded_client(
                allow_private=self.context.settings.allow_private_urls,
                timeout=self.context.settings.webhook_timeout_s,
            )
        try:
            outcome = post_event(
                client,
                url,
                delivery.body,
                delivery.id,
                secret,
                utcnow(),
                request_id=delivery.request_id,
            )
        finally:
            if client is not self._client:
                client.close()
        self._record(delivery, outcome)

    def _record(self, delivery: ClaimedDelivery, outcome: AttemptOutcome) -> None:
        now = utcnow()
        retry_at = None
        if not outcome.delivered:
            with self._rng_lock:
                retry_at = next_attempt_at(
                    failures=delivery.attempts + 1,
                    outcome=outcome,
                    created_at=delivery.created_at,
                    now=now,
                    policy=self.policy,
                    rng=self._rng,
                )
        kept = finish_attempt(
            self.context.db,
            delivery.id,
            self.claimant,
            delivered=outcome.delivered,
            retry_at=retry_at,
            status_code=outcome.status_code,
            error=outcome.error,
            now=now,
        )
        if not kept:
            logger.warning("webhook %s: claim expired during the attempt", delivery.id)
        elif outcome.delivered:
            logger.info("webhook %s delivered (attempt %d)", delivery.id, delivery.attempts + 1)
        elif retry_at is None:
            logger.warning(
                "webhook %s given up after %d attempts (%s)",
                delivery.id,
                delivery.attempts + 1,
                outcome.error,
            )
        else:
            logger.info(
                "webhook %s attempt %d failed (%s); next at %s",
                delivery.id,
                delivery.attempts + 1,
                outcome.error,
                retry_at.isoformat(),
            )
