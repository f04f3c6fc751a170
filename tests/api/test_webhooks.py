"""Webhook delivery to a real local HTTP server: signed, retried after failures, guarded."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select
from webhook_receiver import Receiver

from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch, Translation
from polydub.jobs.webhooks import (
    SIGNATURE_HEADER,
    deliver,
    notify_translation,
    sign_webhook,
    verify_webhook,
)


@pytest.fixture
def receiver_factory():
    made = []

    def make(statuses=()):
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def test_signature_round_trip():
    body = b'{"a":1}'
    header = sign_webhook("k", body, int(time.time()))
    assert verify_webhook("k", body, header)
    assert not verify_webhook("k", b'{"a":2}', header)
    assert not verify_webhook("other", body, header)
    old = sign_webhook("k", body, int(time.time()) - 3600)
    assert not verify_webhook("k", body, old)  # replayed long after
    assert not verify_webhook("k", body, "garbage")


def test_delivery_is_signed_and_retried_after_errors(receiver_factory):
    receiver = receiver_factory([500, 503])
    attempts, delays = [], []
    payload = {"event_type": "video_translate.success", "event_data": {"x": 1}}
    ok = deliver(
        receiver.url,
        payload,
        "secret",
        max_attempts=5,
        allow_private=True,
        on_attempt=lambda n, good: attempts.append((n, good)),
        sleep=delays.append,
    )
    assert ok
    assert attempts == [(1, False), (2, False), (3, True)]
    assert delays == [1.0, 2.0]  # exponential backoff
    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        assert json.loads(body) == payload
        assert verify_webhook("secret", body, headers[SIGNATURE_HEADER])


def test_delivery_gives_up_after_max_attempts(receiver_factory):
    receiver = receiver_factory([500] * 10)
    ok = deliver(receiver.url, {}, "s", max_attempts=3, allow_private=True, sleep=lambda s: None)
    assert not ok and len(receiver.requests) == 3


def test_delivery_to_private_address_is_refused_at_connect_time(receiver_factory):
    receiver = receiver_factory()
    attempts = []
    ok = deliver(
        receiver.url,
        {},
        "s",
        max_attempts=3,
        allow_private=False,
        on_attempt=lambda n, good: attempts.append(n),
        sleep=lambda s: None,
    )
    assert not ok and receiver.requests == [] and attempts == [1]


def test_finished_translation_notifies_its_callback(app, receiver_factory):
    receiver = receiver_factory([500])
    context = app.state.context
    context.settings.webhook_max_attempts = 3
    with context.db.session() as session:
        key, _ = create_key(session, "k")
        batch = Batch(owner_id=key.id, kind="translation", request={})
        session.add(batch)
        session.flush()
        row = Translation(
            owner_id=key.id,
            batch_id=batch.id,
            output_language="Spanish",
            output_code="es",
            status="failed",
            failure_message="no speech found",
            callback_url=receiver.url,
            callback_id="my-42",
        )
        session.add(row)
        session.flush()
        translation_id = row.id
    # The retry waits 1 s before the second attempt.
    thread = notify_translation(context, translation_id)
    thread.join(10)
    assert not thread.is_alive()
    headers, body = receiver.requests[-1]
    assert verify_webhook(context.secret, body, headers[SIGNATURE_HEADER])
    event = json.loads(body)
    assert event["event_type"] == "video_translate.fail"
    assert event["event_data"] == {
        "video_translation_id": translation_id,
        "status": "failed",
        "url": None,
        "callback_id": "my-42",
        "failure_message": "no speech found",
        "output_language": "Spanish",
    }
    with context.db.session() as session:
        attempts, delivered = session.execute(
            select(Translation.webhook_attempts, Translation.webhook_delivered).where(
                Translation.id == translation_id
            )
        ).one()
    assert (attempts, delivered) == (2, True)
    assert notify_translation(context, translation_id) is None  # delivered: never sent twice
