"""Webhook delivery to a real local HTTP server: recorded once in the database, signed, sent
by the dispatcher with retries, final on a 4xx, leased so two dispatchers never send one
event twice; and the event history of GET /v3/webhooks/events."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from webhook_receiver import Receiver

from polydub.config import Settings
from polydub.jobs.context import ServiceContext
from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch, Lipsync, Translation, WebhookDelivery, utcnow
from polydub.jobs.webhook_dispatcher import WebhookDispatcher
from polydub.jobs.webhook_store import claim_due, finish_attempt
from polydub.jobs.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    notify_lipsync,
    notify_translation,
    resend_undelivered,
    sign_webhook,
    verify_webhook,
)

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def receiver_factory():
    made = []

    def make(statuses=(), **kwargs):
        made.append(Receiver(list(statuses), **kwargs))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def context(app):
    """The app's context, retrying fast (tests wait for due times by moving them)."""
    context = app.state.context
    context.settings.webhook_base_delay_s = 0.01
    context.settings.webhook_max_delay_s = 0.05
    return context


def add_owner(context, name: str = "k") -> tuple[str, str]:
    """An API key: (id, secret)."""
    with context.db.session() as session:
        key, secret = create_key(session, name)
        return key.id, secret


def add_translation(context, owner_id: str, url: str | None, **values) -> str:
    with context.db.session() as session:
        batch = Batch(owner_id=owner_id, kind="translation", request={})
        session.add(batch)
        session.flush()
        row = Translation(
            owner_id=owner_id,
            batch_id=batch.id,
            output_language="Spanish",
            output_code="es",
            status=values.pop("status", "failed"),
            failure_message=values.pop("failure_message", "no speech found"),
            callback_url=url,
            callback_id="my-42",
            **values,
        )
        session.add(row)
        session.flush()
        return row.id


def deliveries(context) -> list[WebhookDelivery]:
    with context.db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def send_until_settled(dispatcher: WebhookDispatcher, limit_s: float = 20.0) -> None:
    """Run the dispatcher on this thread until no delivery is pending, skipping waits."""
    db = dispatcher.context.db
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with db.session() as session:
            pending = session.scalar(
                select(WebhookDelivery.id).where(WebhookDelivery.status == "pending").limit(1)
            )
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.status == "pending")
                .values(next_attempt_at=utcnow())
            )
        if pending is None:
            return
        dispatcher.send_due()
    raise AssertionError("deliveries still pending")


def test_signature_round_trip():
    body = b'{"a":1}'
    header = sign_webhook("k", body, int(time.time()))
    assert verify_webhook("k", body, header)
    assert not verify_webhook("k", b'{"a":2}', header)
    assert not verify_webhook("other", body, header)
    old = sign_webhook("k", body, int(time.time()) - 3600)
    assert not verify_webhook("k", body, old)  # replayed long after
    assert not verify_webhook("k", body, "garbage")


def test_finished_translation_is_recorded_then_delivered_after_errors(context, receiver_factory):
    receiver = receiver_factory([500, 503])
    owner, _ = add_owner(context)
    translation_id = add_translation(context, owner, receiver.url)

    event_id = notify_translation(context, translation_id)
    assert event_id and receiver.requests == []  # recorded, not sent by the job's thread
    send_until_settled(WebhookDispatcher(context))

    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        assert headers[EVENT_ID_HEADER] == event_id  # the same id on every attempt
        assert verify_webhook(context.secret, body, headers[SIGNATURE_HEADER])
    event = json.loads(receiver.requests[-1][1])
    assert event["event_type"] == "video_translate.fail"
    assert event["event_data"] == {
        "video_translation_id": translation_id,
        "status": "failed",
        "url": None,
        "callback_id": "my-42",
        "failure_message": "no speech found",
        "output_language": "Spanish",
    }
    [row] = deliveries(context)
    assert (row.id, row.status, row.attempts, row.last_status_code) == (
        event_id,
        "delivered",
        3,
        200,
    )
    assert row.delivered_at is not None and row.claimed_by is None


def test_an_event_is_recorded_once(context, receiver_factory):
    receiver = receiver_factory()
    owner, _ = add_owner(context)
    translation_id = add_translation(context, owner, receiver.url)
    results = []

    def finish_twice():  # a redelivered task finishing the job again, at the same time
        results.append(notify_translation(context, translation_id))

    threads = [threading.Thread(target=finish_twice) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([r for r in results if r]) == 1
    assert notify_translation(context, translation_id) is None
    send_until_settled(WebhookDispatcher(context))
    assert len(receiver.requests) == 1 and len(deliveries(context)) == 1


def test_the_database_refuses_a_second_event_of_one_job_and_type(context):
    """The guarantee behind recording once when two processes race past the first check."""
    owner, _ = add_owner(context)
    translation_id = add_translation(context, owner, "http://127.0.0.1:9/hook")
    assert notify_translation(context, translation_id)
    with pytest.raises(IntegrityError):
        with context.db.session() as session:
            session.add(
                WebhookDelivery(
                    owner_id=owner,
                    event_type="video_translate.fail",
                    entity_kind="translation",
                    entity_id=translation_id,
                    url="http://127.0.0.1:9/hook",
                    body={"event_type": "video_translate.fail"},
                )
            )


def test_jobs_without_callback_or_unfinished_record_nothing(context):
    owner, _ = add_owner(context)
    assert notify_translation(context, add_translation(context, owner, None)) is None
    running = add_translation(context, owner, "http://127.0.0.1:9/hook", status="running")
    assert notify_translation(context, running) is None
    assert notify_translation(context, "missing") is None
    assert deliveries(context) == []


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_client_errors_are_final(context, receiver_factory, status):
    receiver = receiver_factory([status] * 5)
    owner, _ = add_owner(context)
    notify_translation(context, add_translation(context, owner, receiver.url))
    send_until_settled(WebhookDispatcher(context))
    assert len(receiver.requests) == 1
    [row] = deliveries(context)
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 1, status)


@pytest.mark.parametrize("status", [408, 429, 500, 502])
def test_timeouts_throttling_and_server_errors_are_retried(context, receiver_factory, status):
    receiver = receiver_factory([status, status])
    owner, _ = add_owner(context)
    notify_translation(context, add_translation(context, owner, receiver.url))
    send_until_settled(WebhookDispatcher(context))
    assert len(receiver.requests) == 3
    assert deliveries(context)[0].status == "delivered"


def test_retry_after_sets_the_next_attempt(context, receiver_factory):
    context.settings.webhook_max_delay_s = 3600.0
    receiver = receiver_factory([429], headers={"Retry-After": "120"})
    owner, _ = add_owner(context)
    notify_translation(context, add_translation(context, owner, receiver.url))
    assert WebhookDispatcher(context).send_due() == 1
    [row] = deliveries(context)
    assert row.status == "pending" and row.last_status_code == 429
    assert row.next_attempt_at - row.last_attempt_at == timedelta(seconds=120)
    assert WebhookDispatcher(context).send_due() == 0  # not due yet


def test_gives_up_after_the_retry_window(context, receiver_factory):
    receiver = receiver_factory([503] * 100)
    context.settings.webhook_retry_window_s = 0.3
    owner, _ = add_owner(context)
    notify_translation(context, add_translation(context, owner, receiver.url))
    dispatcher = WebhookDispatcher(context)
    deadline = time.monotonic() + 20
    while deliveries(context)[0].status == "pending" and time.monotonic() < deadline:
        dispatcher.send_due()
        time.sleep(0.02)
    [row] = deliveries(context)
    assert row.status == "failed" and row.attempts == len(receiver.requests) >= 2


def test_ssrf_refusal_is_final(context, receiver_factory):
    receiver = receiver_factory()
    context.settings.allow_private_urls = False
    owner, _ = add_owner(context)
    notify_translation(context, add_translation(context, owner, receiver.url))
    send_until_settled(WebhookDispatcher(context))
    [row] = deliveries(context)
    assert receiver.requests == []
    assert (row.status, row.attempts) == ("failed", 1) and row.last_error.startswith("refused")


def test_lipsync_event(context, receiver_factory):
    receiver = receiver_factory()
    owner, _ = add_owner(context)
    with context.db.session() as session:
        session.add(Batch(id="l" * 32, owner_id=owner, kind="lipsync", request={}))
        session.flush()
        session.add(
            Lipsync(
                id="l" * 32,
                owner_id=owner,
                status="failed",
                failure_message="bad audio",
                callback_url=receiver.url,
            )
        )
    assert notify_lipsync(context, "l" * 32)
    send_until_settled(WebhookDispatcher(context))
    event = json.loads(receiver.requests[0][1])
    assert event["event_type"] == "lipsync.fail"
    assert event["event_data"]["lipsync_id"] == "l" * 32


def test_resend_undelivered_records_finished_jobs_that_lack_an_event(context, receiver_factory):
    """Rows finished before deliveries were stored (or by a process that died before
    recording) get their event once; old ones and ones delivered by older versions do not."""
    receiver = receiver_factory()
    owner, _ = add_owner(context)
    lost = add_translation(context, owner, receiver.url, webhook_attempts=3)
    add_translation(context, owner, receiver.url, webhook_delivered=True, webhook_attempts=1)
    ancient = add_translation(context, owner, receiver.url)
    with context.db.session() as session:
        session.execute(
            update(Translation)
            .where(Translation.id == ancient)
            .values(updated_at=utcnow() - timedelta(days=30))
        )
    assert resend_undelivered(context) == 1
    assert resend_undelivered(context) == 0
    send_until_settled(WebhookDispatcher(context))
    assert [json.loads(b)["event_data"]["video_translation_id"] for _, b in receiver.requests] == [
        lost
    ]


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_expires(context):
    owner, _ = add_owner(context)
    notify_translation(context, add_translation(context, owner, "http://127.0.0.1:9/hook"))
    [first] = claim_due(context.db, "a", limit=10, lease_s=60)
    assert claim_due(context.db, "b", limit=10, lease_s=60) == []
    # "a" died; after its lease "b" takes the row, and a late answer of "a" changes nothing.
    later = utcnow() + timedelta(seconds=61)
    [second] = claim_due(context.db, "b", limit=10, lease_s=60, now=later)
    assert second.id == first.id
    kept = finish_attempt(
        context.db, first.id, "a", delivered=True, retry_at=None, status_code=200, error=None
    )
    assert not kept
    kept = finish_attempt(
        context.db, first.id, "b", delivered=True, retry_at=None, status_code=200, error=None
    )
    assert kept and deliveries(context)[0].attempts == 1


@pytest.fixture(params=["sqlite", "postgresql"])
def two_processes(request, tmp_path):
    """Two service contexts (own engines and pools, like two processes) on one database."""
    url = None
    if request.param == "postgresql":
        import psycopg

        name = f"polydub_hooks_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    settings = Settings(data_dir=tmp_path / "data", allow_private_urls=True, database_url=url)
    contexts = [ServiceContext.create(settings), ServiceContext.create(settings)]
    yield contexts
    for context in contexts:
        context.db.engine.dispose()
    if url:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_dispatchers_send_each_event_once(two_processes, receiver_factory):
    """Both dispatchers run at once on a slow receiver; every event arrives exactly once."""
    receiver = receiver_factory(delay_s=0.05)
    first, second = two_processes
    owner, _ = add_owner(first)
    ids = [
        notify_translation(first, add_translation(first, owner, receiver.url)) for _ in range(12)
    ]
    dispatchers = [WebhookDispatcher(first), WebhookDispatcher(second)]
    sent = [0, 0]

    def drain(index: int) -> None:
        while (count := dispatchers[index].send_due()) or pending(first):
            sent[index] += count

    threads = [threading.Thread(target=drain, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    received = [headers[EVENT_ID_HEADER] for headers, _ in receiver.requests]
    assert sorted(received) == sorted(ids)  # each once
    assert sum(sent) == 12 and all(sent)  # both took part
    assert {row.attempts for row in deliveries(first)} == {1}


def pending(context) -> bool:
    with context.db.session() as session:
        return (
            session.scalar(
                select(WebhookDelivery.id).where(WebhookDelivery.status == "pending").limit(1)
            )
            is not None
        )


def test_started_dispatcher_wakes_when_an_event_is_recorded(context, receiver_factory):
    context.settings.webhook_poll_interval_s = 300.0  # only the wake-up can send it in time
    receiver = receiver_factory()
    owner, _ = add_owner(context)
    dispatcher = WebhookDispatcher(context)
    dispatcher.start()
    try:
        time.sleep(0.2)  # past its first look at the table
        notify_translation(context, add_translation(context, owner, receiver.url))
        assert receiver.got.wait(30)
    finally:
        dispatcher.stop()
    assert len(receiver.requests) == 1


def test_event_history_lists_the_callers_events(context, client, receiver_factory):
    receiver = receiver_factory()
    owner, secret = add_owner(context, "mine")
    other, other_secret = add_owner(context, "theirs")
    mine = [add_translation(context, owner, receiver.url) for _ in range(3)]
    completed = add_translation(context, owner, receiver.url, status="completed")
    theirs = add_translation(context, other, receiver.url)
    for translation_id in [*mine, completed, theirs]:
        notify_translation(context, translation_id)

    def get(params, key=secret):
        response = client.get("/v3/webhooks/events", params=params, headers={"x-api-key": key})
        assert response.status_code == 200, response.text
        return response.json()

    seen, token = [], None
    while True:
        page = get({"limit": 2, **({"token": token} if token else {})})
        seen += page["data"]
        if not page["has_more"]:
            assert page["next_token"] is None
            break
        token = page["next_token"]
    assert len(seen) == 4 and len({event["event_id"] for event in seen}) == 4
    assert {e["event_data"]["video_translation_id"] for e in seen} == {*mine, completed}
    assert all(event["created_at"].endswith("+00:00") for event in seen)
    only = get({"event_type": "video_translate.success"})["data"]
    assert [e["event_data"]["video_translation_id"] for e in only] == [completed]
    one = get({"entity_id": mine[1]})["data"]
    assert [e["event_data"]["video_translation_id"] for e in one] == [mine[1]]
    assert get({"entity_id": mine[1]}, key=other_secret)["data"] == []
    bad = client.get("/v3/webhooks/events", params={"token": "x"}, headers={"x-api-key": secret})
    assert bad.status_code == 400 and bad.json()["error"]["code"]
