"""HeyGen's Webhooks resource against HeyGen's own schemas (tests/heygen_schema.py), on SQLite
and PostgreSQL: endpoints (create, list paged with `token`, update, delete, rotate-secret),
event types and the event history; bad input answered in the error envelope; and deliveries
that follow the registered endpoints' filters and secrets, from real job runs to local
receivers."""

from __future__ import annotations

import json
import time

import pytest
from databases import fresh_postgres_database
from fastapi.testclient import TestClient
from file_server import serving
from heygen_schema import check_request, check_response, endpoints, path_for
from sqlalchemy import select, update
from webhook_receiver import Receiver

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch, Translation, WebhookDelivery, utcnow
from polydub.jobs.webhook_dispatcher import WebhookDispatcher
from polydub.jobs.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    notify_translation,
    resend_undelivered,
    verify_webhook,
)

# Hosts are IP literals: URLs are resolved when registered, and tests have no DNS. These are
# documentation addresses (not public), so the apps here allow private URLs unless a test
# checks that policy.

CREATE = "POST /v3/webhooks/endpoints"
LIST = "GET /v3/webhooks/endpoints"
UPDATE = "PATCH /v3/webhooks/endpoints/{endpoint_id}"
DELETE = "DELETE /v3/webhooks/endpoints/{endpoint_id}"
ROTATE = "POST /v3/webhooks/endpoints/{endpoint_id}/rotate-secret"
EVENT_TYPES = "GET /v3/webhooks/event-types"
EVENTS = "GET /v3/webhooks/events"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request):
    """One PostgreSQL database for the module (tests keep apart by using their own keys);
    SQLite is a new file in each test's data dir."""
    if request.param == "sqlite":
        yield None  # the data dir's SQLite file
        return
    with fresh_postgres_database("polydub_hookep") as url:
        yield url


def make_settings(tmp_path, database_url, **values) -> Settings:
    values.setdefault("allow_private_urls", True)  # the receivers listen on loopback
    return Settings(data_dir=tmp_path / "data", database_url=database_url, **values)


@pytest.fixture
def app(tmp_path, database_url):
    app = create_app(make_settings(tmp_path, database_url), start_executor=False)
    yield app
    app.state.context.db.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def new_key(app, name: str = "k") -> dict[str, str]:
    """Headers authenticating as a new API key."""
    with app.state.context.db.session() as session:
        _, secret = create_key(session, name)
    return {"x-api-key": secret}


@pytest.fixture
def auth(app):
    return new_key(app, "primary")


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(statuses=()):
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def call(client, endpoint: str, auth, *, body=None, params=None, status=200, **path) -> dict:
    """Send a request to `endpoint` (a key of v3-endpoints.json); its JSON, checked against
    HeyGen's response schema when it succeeded."""
    method, _ = endpoint.split(" ", 1)
    response = client.request(
        method, path_for(endpoint, **path), json=body, params=params, headers=auth
    )
    assert response.status_code == status, response.text
    answer = response.json()
    if status == 200:
        check_response(endpoint, answer)
    return answer


def heygen_event_types() -> set[str]:
    schema = endpoints()[CREATE]["RequestSchema"]["properties"]["events"]["items"]
    return set(schema["enum"])


def register(client, auth, url: str, events=None, **extra) -> dict:
    body = {"url": url, "events": events, **extra}
    if not set(events or ()) - heygen_event_types():  # lipsync.* are Polydub's own
        check_request(CREATE, body)
    return call(client, CREATE, auth, body=body)["data"]


def assert_error(answer: dict, param: str | None, *, code: str = "invalid_parameter") -> None:
    error = answer["error"]
    assert error["code"] == code and error["param"] == param, answer
    assert error["message"] and "/tmp" not in error["message"] and "/work" not in error["message"]


# --- the endpoints resource ------------------------------------------------------------


def test_an_endpoint_is_registered_listed_updated_rotated_and_deleted(client, auth):
    created = register(client, auth, "https://198.51.100.7/a", ["video_translate.success"])
    endpoint_id = created["endpoint_id"]
    assert created["url"] == "https://198.51.100.7/a"
    assert created["events"] == ["video_translate.success"]
    assert created["status"] == "enabled"
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["created_at"].endswith("+00:00")

    [listed] = call(client, LIST, auth)["data"]
    assert listed["endpoint_id"] == endpoint_id and listed["secret"] is None  # shown once

    patch = {"url": "https://198.51.100.7/b", "events": None}
    check_request(UPDATE, patch)
    updated = call(client, UPDATE, auth, body=patch, endpoint_id=endpoint_id)["data"]
    assert updated["url"] == "https://198.51.100.7/b" and updated["events"] is None
    assert updated["secret"] is None
    kept = call(client, UPDATE, auth, body={}, endpoint_id=endpoint_id)["data"]
    assert kept["url"] == "https://198.51.100.7/b" and kept["events"] is None
    disabled = call(client, UPDATE, auth, body={"status": "disabled"}, endpoint_id=endpoint_id)
    assert disabled["data"]["status"] == "disabled"
    refiltered = call(
        client, UPDATE, auth, body={"events": ["lipsync.fail"]}, endpoint_id=endpoint_id
    )["data"]
    assert refiltered["events"] == ["lipsync.fail"] and refiltered["status"] == "disabled"

    rotated = call(client, ROTATE, auth, endpoint_id=endpoint_id)["data"]
    assert rotated["endpoint_id"] == endpoint_id
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]

    deleted = call(client, DELETE, auth, endpoint_id=endpoint_id)
    assert deleted["data"] == {"endpoint_id": endpoint_id}
    assert call(client, LIST, auth)["data"] == []
    gone = call(client, DELETE, auth, endpoint_id=endpoint_id, status=404)
    assert_error(gone, "endpoint_id", code="not_found")


def test_endpoints_page_with_token(client, auth):
    made = [register(client, auth, f"https://198.51.100.7/{i}")["endpoint_id"] for i in range(5)]
    seen, token, pages = [], None, 0
    while True:
        page = call(client, LIST, auth, params={"limit": 2, **({"token": token} if token else {})})
        pages += 1
        seen += [item["endpoint_id"] for item in page["data"]]
        if not page["has_more"]:
            assert page["next_token"] is None
            break
        token = page["next_token"]
    assert pages == 3 and seen == made[::-1]  # newest first, each once
    bad = call(client, LIST, auth, params={"token": "not-a-token"}, status=400)
    assert bad["error"]["code"] == "invalid_parameter"
    for limit in ("0", "101", "two", "1.5"):
        answer = call(client, LIST, auth, params={"limit": limit}, status=400)
        assert_error(answer, "limit")


def test_event_types_are_those_sent_and_each_can_be_subscribed(client, auth):
    answer = call(client, EVENT_TYPES, auth)
    names = [item["event_type"] for item in answer["data"]]
    assert {"video_translate.success", "video_translate.fail", "lipsync.success"} <= set(names)
    assert all(item["description"] for item in answer["data"])
    assert answer["has_more"] is False and answer["next_token"] is None
    created = register(client, auth, "https://198.51.100.7/all", names)
    assert created["events"] == names
    # A filter written for HeyGen registers unchanged, though Polydub has no avatar videos.
    heygen = register(client, auth, "https://198.51.100.7/h", ["avatar_video.success"])
    assert heygen["events"] == ["avatar_video.success"]


def test_a_retried_registration_replays_the_same_endpoint(client, auth):
    """Idempotency-Key on create: the retry gets the first answer (its secret included) and
    no second endpoint is made."""
    headers = {**auth, "Idempotency-Key": "register-1"}
    body = {"url": "https://198.51.100.7/once"}
    first = client.post("/v3/webhooks/endpoints", json=body, headers=headers)
    again = client.post("/v3/webhooks/endpoints", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert len(call(client, LIST, auth)["data"]) == 1


def test_another_keys_endpoint_is_not_found(app, client, auth):
    theirs = register(client, new_key(app, "other"), "https://198.51.100.7/t")["endpoint_id"]
    for endpoint, body in (
        (UPDATE, {"url": "https://198.51.100.8"}),
        (DELETE, None),
        (ROTATE, None),
    ):
        answer = call(client, endpoint, auth, body=body, endpoint_id=theirs, status=404)
        assert_error(answer, "endpoint_id", code="not_found")
        answer = call(client, endpoint, auth, body=body, endpoint_id="missing", status=404)
        assert_error(answer, "endpoint_id", code="not_found")
    assert call(client, LIST, auth)["data"] == []  # and the other key's is not listed


# (body, the param the error names); one app runs them all (an app per case cost seconds).
BAD_REGISTRATIONS = [
    ({}, "url"),
    ({"url": "ftp://198.51.100.7/a"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "198.51.100.7/a"}, "url"),
    ({"url": ""}, "url"),
    ({"url": "https://198.51.100.7/" + "a" * 2048}, "url"),
    ({"url": 5}, "url"),
    ({"url": "https://198.51.100.7", "events": ["video.done"]}, "events.0"),
    ({"url": "https://198.51.100.7", "events": "video_translate.success"}, "events"),
    ({"url": "https://198.51.100.7", "events": []}, "events"),
    ({"url": "https://198.51.100.7", "events": [True]}, "events.0"),
    ({"url": "https://198.51.100.7", "events": ["x" * 10_000]}, "events.0"),
    ({"url": "https://198.51.100.7", "events": ["lipsync.fail"] * 500}, "events"),
    ({"url": "https://198.51.100.7", "entity_id": "e" * 256}, "entity_id"),
    ({"url": "https://198.51.100.7", "secret": "mine"}, "secret"),
    ({"url": "https://198.51.100.7/\u0000"}, "url"),
]
BAD_UPDATES = [
    ({"url": "gopher://198.51.100.7"}, "url"),
    ({"url": "https://198.51.100.7/" + "a" * 2048}, "url"),
    ({"events": ["nope"]}, "events.0"),
    ({"status": "paused"}, "status"),
    ({"status": True}, "status"),
    ({"enabled": "yes"}, "enabled"),
]


def test_bad_registrations_are_refused(client, auth):
    for body, param in BAD_REGISTRATIONS:
        assert_error(call(client, CREATE, auth, body=body, status=400), param)
    assert call(client, LIST, auth)["data"] == []
    unknown = call(
        client, CREATE, auth, body={"url": "https://198.51.100.7", "events": ["x.y"]}, status=400
    )
    assert "'x.y'" in unknown["error"]["message"]
    assert "/v3/webhooks/event-types" in unknown["error"]["message"]


def test_bad_updates_are_refused(client, auth):
    endpoint_id = register(client, auth, "https://198.51.100.7/a")["endpoint_id"]
    for body, param in BAD_UPDATES:
        answer = call(client, UPDATE, auth, body=body, endpoint_id=endpoint_id, status=400)
        assert_error(answer, param)
    [listed] = call(client, LIST, auth)["data"]
    assert listed["url"] == "https://198.51.100.7/a" and listed["status"] == "enabled"


def test_loopback_and_private_urls_follow_the_ssrf_policy(tmp_path, database_url):
    settings = make_settings(tmp_path, database_url, allow_private_urls=False)
    app = create_app(settings, start_executor=False)
    try:
        with TestClient(app) as client:
            auth = new_key(app)
            for url in ("http://127.0.0.1:8080/hook", "http://10.0.0.7/hook", "http://[::1]/h"):
                assert_error(call(client, CREATE, auth, body={"url": url}, status=400), "url")
            endpoint_id = register(client, auth, "https://93.184.215.14/hook")["endpoint_id"]
            moved = call(
                client,
                UPDATE,
                auth,
                body={"url": "http://192.168.1.1/"},
                endpoint_id=endpoint_id,
                status=400,
            )
            assert_error(moved, "url")
    finally:
        app.state.context.db.engine.dispose()


def test_a_key_has_a_bounded_number_of_endpoints(client, auth, monkeypatch):
    from polydub.api.routes import webhook_endpoints

    monkeypatch.setattr(webhook_endpoints, "MAX_ENDPOINTS_PER_KEY", 3)
    for i in range(3):
        register(client, auth, f"https://198.51.100.7/{i}")
    assert_error(call(client, CREATE, auth, body={"url": "https://198.51.100.8"}, status=400), None)


# --- deliveries to registered endpoints --------------------------------------------------


def add_finished_translation(app, auth_headers, status="failed", callback_url=None) -> str:
    """A finished translation row of the key in `auth_headers` (its events are recorded by
    notify_translation, as the job's end does)."""
    from polydub.jobs.keys import find_key

    context = app.state.context
    with context.db.session() as session:
        owner_id = find_key(session, auth_headers["x-api-key"]).id
        batch = Batch(owner_id=owner_id, kind="translation", request={})
        session.add(batch)
        session.flush()
        row = Translation(
            owner_id=owner_id,
            batch_id=batch.id,
            output_language="Spanish",
            output_code="es",
            status=status,
            failure_message=None if status == "completed" else "no speech found",
            callback_url=callback_url,
        )
        session.add(row)
        session.flush()
        return row.id


def settle(app) -> None:
    """Send every pending delivery now, on this thread, skipping retry waits."""
    context = app.state.context
    context.settings.webhook_base_delay_s = 0.01
    context.settings.webhook_max_delay_s = 0.05
    dispatcher = WebhookDispatcher(context)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with context.db.session() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.status == "pending")
                .values(next_attempt_at=utcnow())
            )
        if not dispatcher.send_due():
            return
    raise AssertionError("deliveries still pending")


def delivery_rows(app, auth_headers) -> list[WebhookDelivery]:
    """The deliveries of the key in `auth_headers`."""
    from polydub.jobs.keys import find_key

    with app.state.context.db.session() as session:
        owner_id = find_key(session, auth_headers["x-api-key"]).id
        query = select(WebhookDelivery).where(WebhookDelivery.owner_id == owner_id)
        return list(session.scalars(query.order_by(WebhookDelivery.id)))


def received_types(receiver: Receiver, secret: str) -> list[str]:
    """The event types `receiver` got, each checked to be signed with `secret`."""
    types = []
    for headers, body in receiver.requests:
        assert verify_webhook(secret, body, headers[SIGNATURE_HEADER]), "bad signature"
        types.append(json.loads(body)["event_type"])
    return types


def test_each_event_goes_once_to_each_endpoint_whose_filter_takes_it(app, client, auth, receivers):
    every, fails, successes, disabled, scoped = (receivers() for _ in range(5))
    hooks = {
        "every": register(client, auth, every.url),
        "fails": register(client, auth, fails.url, ["video_translate.fail"]),
        "successes": register(client, auth, successes.url, ["video_translate.success"]),
        "disabled": register(client, auth, disabled.url),
    }
    call(
        client,
        UPDATE,
        auth,
        body={"status": "disabled"},
        endpoint_id=hooks["disabled"]["endpoint_id"],
    )
    other_key = new_key(app, "other")
    other = receivers()
    register(client, other_key, other.url)  # another key's endpoint hears nothing of ours
    callback = receivers()

    failed = add_finished_translation(app, auth, status="running", callback_url=callback.url)
    completed = add_finished_translation(app, auth, status="completed")
    hooks["scoped"] = register(client, auth, scoped.url, None, entity_id=failed)
    with app.state.context.db.session() as session:  # the job ends after its registration
        session.get(Translation, failed).status = "failed"
    for translation_id in (failed, completed):
        assert notify_translation(app.state.context, translation_id)
    assert notify_translation(app.state.context, failed) is None  # recorded once
    settle(app)

    assert sorted(received_types(every, hooks["every"]["secret"])) == [
        "video_translate.fail",
        "video_translate.success",
    ]
    assert received_types(fails, hooks["fails"]["secret"]) == ["video_translate.fail"]
    assert received_types(successes, hooks["successes"]["secret"]) == ["video_translate.success"]
    assert received_types(scoped, hooks["scoped"]["secret"]) == ["video_translate.fail"]
    assert disabled.requests == [] and other.requests == []
    # The job's own callback_url still gets its event, signed with the service's secret.
    assert received_types(callback, app.state.context.secret) == ["video_translate.fail"]
    assert not verify_webhook(
        hooks["fails"]["secret"], fails.requests[0][1], callback.requests[0][0][SIGNATURE_HEADER]
    )
    # One delivery record per (event, destination); each destination sees its own event id.
    rows = delivery_rows(app, auth)
    assert len(rows) == 6 and len({(r.entity_id, r.event_type, r.destination) for r in rows}) == 6
    assert {r.status for r in rows} == {"delivered"}
    assert fails.requests[0][0][EVENT_ID_HEADER] != callback.requests[0][0][EVENT_ID_HEADER]

    history = call(client, EVENTS, auth, params={"limit": 100})
    assert len(history["data"]) == 6
    by_endpoint = {}
    for event in history["data"]:
        by_endpoint.setdefault(event["endpoint_id"], []).append(event)
        assert event["status"] == "delivered" and event["delivered_at"]
    assert [e["event_type"] for e in by_endpoint[hooks["fails"]["endpoint_id"]]] == [
        "video_translate.fail"
    ]
    assert [e["event_data"]["video_translation_id"] for e in by_endpoint[None]] == [failed]
    only = call(client, EVENTS, auth, params={"endpoint_id": hooks["every"]["endpoint_id"]})
    assert {e["event_type"] for e in only["data"]} == {
        "video_translate.fail",
        "video_translate.success",
    }
    assert call(client, EVENTS, other_key)["data"] == []  # the other key's endpoint got none
    page = call(client, EVENTS, auth, params={"limit": 4})
    rest = call(client, EVENTS, auth, params={"limit": 4, "token": page["next_token"]})
    assert page["has_more"] and not rest["has_more"]
    assert len({e["event_id"] for e in page["data"] + rest["data"]}) == 6


def test_deleting_or_disabling_an_endpoint_stops_its_pending_deliveries(
    app, client, auth, receivers
):
    down_a, down_b, kept = receivers([503] * 50), receivers([503] * 50), receivers([503])
    deleted = register(client, auth, down_a.url)["endpoint_id"]
    disabled = register(client, auth, down_b.url)["endpoint_id"]
    redirected = register(client, auth, kept.url)
    notify_translation(app.state.context, add_finished_translation(app, auth))
    WebhookDispatcher(app.state.context).send_due()  # one failed attempt each
    assert len(down_a.requests) == len(down_b.requests) == len(kept.requests) == 1

    call(client, DELETE, auth, endpoint_id=deleted)
    call(client, UPDATE, auth, body={"status": "disabled"}, endpoint_id=disabled)
    moved = receivers()
    call(client, UPDATE, auth, body={"url": moved.url}, endpoint_id=redirected["endpoint_id"])
    settle(app)

    assert len(down_a.requests) == len(down_b.requests) == 1  # nothing more after the change
    assert len(kept.requests) == 1  # the retry went to the new URL
    assert received_types(moved, redirected["secret"]) == ["video_translate.fail"]
    status = {row.destination: (row.status, row.url) for row in delivery_rows(app, auth)}
    assert status[deleted][0] == status[disabled][0] == "cancelled"
    assert status[redirected["endpoint_id"]] == ("delivered", moved.url)
    events = call(client, EVENTS, auth)["data"]
    assert {e["endpoint_id"]: e["status"] for e in events}[deleted] == "cancelled"


def test_a_rotated_secret_signs_every_later_attempt_at_once(app, client, auth, receivers):
    receiver = receivers([503])
    created = register(client, auth, receiver.url)
    notify_translation(app.state.context, add_finished_translation(app, auth))
    WebhookDispatcher(app.state.context).send_due()  # refused once, signed with the first
    rotated = call(client, ROTATE, auth, endpoint_id=created["endpoint_id"])["data"]["secret"]
    settle(app)
    (first_headers, first_body), (retry_headers, retry_body) = receiver.requests
    assert verify_webhook(created["secret"], first_body, first_headers[SIGNATURE_HEADER])
    # No grace period (HeyGen: rotation "immediately invalidates the old one").
    assert verify_webhook(rotated, retry_body, retry_headers[SIGNATURE_HEADER])
    assert not verify_webhook(created["secret"], retry_body, retry_headers[SIGNATURE_HEADER])
    assert first_headers[EVENT_ID_HEADER] == retry_headers[EVENT_ID_HEADER]


def test_a_restart_records_the_missing_events_of_endpoints_registered_before_the_job_ended(
    app, client, auth, receivers
):
    """A process that died between finishing a job and recording its event: the next start
    (resend_undelivered) records it for the endpoints the key had by then, and only those."""
    early, late = receivers(), receivers()
    hook = register(client, auth, early.url)
    finished = add_finished_translation(app, auth)  # no callback_url; no event recorded
    register(client, auth, late.url)  # registered after the job ended
    assert resend_undelivered(app.state.context) == 1
    assert resend_undelivered(app.state.context) == 0
    settle(app)
    assert received_types(early, hook["secret"]) == ["video_translate.fail"]
    assert json.loads(early.requests[0][1])["event_data"]["video_translation_id"] == finished
    assert late.requests == []


# --- end to end: real jobs, the app's own dispatcher -------------------------------------


def wait_for(predicate, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def finish(client, auth, path: str) -> dict:
    data: dict = {}

    def done() -> bool:
        nonlocal data
        data = client.get(path, headers=auth).json()["data"]
        return data["status"] in ("completed", "failed")

    wait_for(done, 120)
    return data


def test_real_jobs_reach_the_endpoints_their_filters_name(
    tmp_path, database_url, engines, receivers
):
    """Two endpoints with different filters on local receivers; real jobs (their inputs are
    missing on a local file server, so they fail in the pipeline's download) run by the
    in-process executor; the app's dispatcher delivers. Rotate, run again, check again."""
    settings = make_settings(tmp_path, database_url, executor="inprocess")
    app = create_app(settings)
    # The session's engines: what a request's language check loads is loaded once.
    app.state.context.extras["engines"] = engines
    translations, lipsyncs = receivers(), receivers()
    empty = tmp_path / "served"
    empty.mkdir()
    try:
        with TestClient(app) as client, serving(empty) as base:
            auth = new_key(app)
            hook_t = register(client, auth, translations.url, ["video_translate.fail"])
            hook_l = register(client, auth, lipsyncs.url, ["lipsync.fail", "lipsync.success"])
            missing = {"type": "url", "url": f"{base}/gone.mp4"}

            def run_jobs() -> tuple[list[str], str]:
                created = client.post(
                    "/v3/video-translations",
                    headers=auth,
                    json={"video": missing, "output_languages": ["Spanish", "French"]},
                )
                assert created.status_code == 200, created.text
                ids = created.json()["data"]["video_translation_ids"]
                lip = client.post(
                    "/v3/lipsyncs", headers=auth, json={"video": missing, "audio": missing}
                )
                assert lip.status_code == 200, lip.text
                lipsync_id = lip.json()["data"]["lipsync_id"]
                for job_id in ids:
                    assert (
                        finish(client, auth, f"/v3/video-translations/{job_id}")["status"]
                        == "failed"
                    )
                assert finish(client, auth, f"/v3/lipsyncs/{lipsync_id}")["status"] == "failed"
                return ids, lipsync_id

            ids, lipsync_id = run_jobs()
            wait_for(lambda: len(translations.requests) == 2 and len(lipsyncs.requests) == 1)
            assert received_types(translations, hook_t["secret"]) == ["video_translate.fail"] * 2
            assert received_types(lipsyncs, hook_l["secret"]) == ["lipsync.fail"]
            got = {
                json.loads(b)["event_data"]["video_translation_id"]
                for _, b in translations.requests
            }
            assert got == set(ids)
            assert json.loads(lipsyncs.requests[0][1])["event_data"]["lipsync_id"] == lipsync_id

            new_t = call(client, ROTATE, auth, endpoint_id=hook_t["endpoint_id"])["data"]["secret"]
            new_l = call(client, ROTATE, auth, endpoint_id=hook_l["endpoint_id"])["data"]["secret"]
            before_t, before_l = len(translations.requests), len(lipsyncs.requests)
            run_jobs()
            wait_for(lambda: len(translations.requests) == 4 and len(lipsyncs.requests) == 2)
            time.sleep(0.5)  # nothing more arrives
            assert len(translations.requests) == 4 and len(lipsyncs.requests) == 2
            for headers, body in translations.requests[before_t:]:
                assert verify_webhook(new_t, body, headers[SIGNATURE_HEADER])
                assert not verify_webhook(hook_t["secret"], body, headers[SIGNATURE_HEADER])
            for headers, body in lipsyncs.requests[before_l:]:
                assert verify_webhook(new_l, body, headers[SIGNATURE_HEADER])
            history = call(client, EVENTS, auth, params={"limit": 100})["data"]
            assert len(history) == 6 and {e["status"] for e in history} == {"delivered"}
    finally:
        app.state.context.db.engine.dispose()


@pytest.mark.integration
def test_a_real_dub_reaches_only_the_endpoint_that_asks_for_successes(tmp_path, engines, receivers):
    """A real translation of a generated 4-second clip completes; the endpoint filtering on
    video_translate.success gets it, signed with its secret, and the one filtering on
    failures gets nothing."""
    from polydub.samples import make_talking_clip

    folder = tmp_path / "served"
    folder.mkdir()
    make_talking_clip(folder / "talk.mp4", 4.0, width=320, height=240)
    settings = make_settings(tmp_path, None, executor="inprocess")
    app = create_app(settings)
    app.state.context.extras["engines"] = engines  # built once per test session
    wants_success, wants_failure = receivers(), receivers()
    try:
        with TestClient(app) as client, serving(folder) as base:
            auth = new_key(app)
            good = register(client, auth, wants_success.url, ["video_translate.success"])
            register(client, auth, wants_failure.url, ["video_translate.fail"])
            created = client.post(
                "/v3/video-translations",
                headers=auth,
                json={
                    "video": {"type": "url", "url": f"{base}/talk.mp4"},
                    "output_languages": ["Spanish"],
                },
            )
            assert created.status_code == 200, created.text
            [job_id] = created.json()["data"]["video_translation_ids"]
            data: dict = {}

            def done() -> bool:
                nonlocal data
                data = client.get(f"/v3/video-translations/{job_id}", headers=auth).json()["data"]
                return data["status"] in ("completed", "failed")

            wait_for(done, 900)
            assert data["status"] == "completed", data
            wait_for(lambda: len(wants_success.requests) == 1)
            assert received_types(wants_success, good["secret"]) == ["video_translate.success"]
            event = json.loads(wants_success.requests[0][1])["event_data"]
            assert event["video_translation_id"] == job_id and event["url"]
            assert wants_failure.requests == []
            [listed] = call(client, EVENTS, auth)["data"]
            assert listed["endpoint_id"] == good["endpoint_id"] and listed["status"] == "delivered"
    finally:
        app.state.context.db.engine.dispose()
