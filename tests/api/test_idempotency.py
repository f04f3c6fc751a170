"""Idempotency-Key: replay within 24 h, 409 while in flight, key pattern, scope, expiry."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from polydub.api.idempotency import IdempotencyStore
from polydub.jobs.keys import find_key
from polydub.jobs.models import Asset, Glossary, IdempotencyRecord

SRT = b"1\n00:00:00,000 --> 00:00:01,000\nHi.\n"


def _count(app, model) -> int:
    with app.state.context.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _post_glossary(client, auth, key: str | None, name: str = "Brand"):
    headers = {**auth, **({"Idempotency-Key": key} if key is not None else {})}
    return client.post("/v3/brand-glossaries", headers=headers, json={"name": name, "terms": []})


def test_retry_replays_the_first_response_even_if_the_body_differs(client, auth, app, caplog):
    first = _post_glossary(client, auth, "550e8400-e29b-41d4-a716-446655440000", "Brand")
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    with caplog.at_level(logging.WARNING, logger="polydub.api.idempotency"):
        retry = _post_glossary(client, auth, "550e8400-e29b-41d4-a716-446655440000", "Other")
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert _count(app, Glossary) == 1
    assert any("differs" in record.message for record in caplog.records)


def test_identical_retry_does_not_warn(client, auth, caplog):
    _post_glossary(client, auth, "same-body")
    with caplog.at_level(logging.WARNING, logger="polydub.api.idempotency"):
        _post_glossary(client, auth, "same-body")
    assert not [r for r in caplog.records if r.name == "polydub.api.idempotency"]


def test_without_a_key_every_request_runs(client, auth, app):
    _post_glossary(client, auth, None)
    _post_glossary(client, auth, None)
    assert _count(app, Glossary) == 2


@pytest.mark.parametrize("key", ["has space", "semi;colon", "x" * 256, "", "é"])
def test_key_pattern_is_checked(client, auth, app, key):
    response = client.post(
        "/v3/brand-glossaries",
        headers={**auth, "Idempotency-Key": key.encode("utf-8")},
        json={"name": "x"},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_parameter", "Idempotency-Key")
    assert _count(app, Glossary) == 0


def test_longest_allowed_key(client, auth):
    key = "aZ09_-:." * 31 + "abcdefg"  # 255 characters
    assert _post_glossary(client, auth, key).status_code == 200
    assert _post_glossary(client, auth, key).headers["Idempotent-Replayed"] == "true"


def test_scope_is_per_route_path_and_caller(client, auth, make_key, app):
    a = _post_glossary(client, auth, "k1", "A").json()["data"]["id"]
    b = _post_glossary(client, auth, "k2", "B").json()["data"]["id"]
    # The same key on two path parameters: two independent updates.
    for glossary_id, name in ((a, "A2"), (b, "B2")):
        response = client.patch(
            f"/v3/brand-glossaries/{glossary_id}",
            headers={**auth, "Idempotency-Key": "same"},
            json={"name": name},
        )
        assert response.json()["data"]["name"] == name
    # The same key on another route (POST) runs too.
    assert _post_glossary(client, auth, "same", "C").json()["data"]["name"] == "C"
    # And another caller's identical key is theirs alone.
    other = {"x-api-key": make_key("other")}
    assert _post_glossary(client, other, "k1", "theirs").json()["data"]["name"] == "theirs"
    assert _count(app, Glossary) == 4


def test_in_flight_original_gives_409(client, auth, app):
    with app.state.context.db.session() as session:
        owner_id = find_key(session, auth["x-api-key"]).id
    store = IdempotencyStore(app.state.context.db)
    claim = store.claim(owner_id, "POST /v3/brand-glossaries", "busy")
    assert claim.record_id is not None
    response = _post_glossary(client, auth, "busy")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "request_in_progress"
    assert _count(app, Glossary) == 0
    # Once the original finishes, retries replay it.
    store.complete(claim.record_id, "", 200, {"data": {"id": "original"}})
    assert _post_glossary(client, auth, "busy").json() == {"data": {"id": "original"}}


def test_concurrent_uploads_with_one_key_create_one_asset(client, auth, app):
    headers = {**auth, "Idempotency-Key": "upload-1"}

    def upload(_):
        return client.post("/v3/assets", headers=headers, files={"file": ("a.srt", SRT)})

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(upload, range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, statuses
    ids = {r.json()["data"]["id"] for r in responses if r.status_code == 200}
    assert len(ids) == 1
    assert _count(app, Asset) == 1


def test_errors_are_not_stored(client, auth, app):
    bad = client.post(
        "/v3/brand-glossaries", headers={**auth, "Idempotency-Key": "fix-me"}, json={"name": ""}
    )
    assert bad.status_code == 400
    fixed = client.post(
        "/v3/brand-glossaries", headers={**auth, "Idempotency-Key": "fix-me"}, json={"name": "ok"}
    )
    assert fixed.status_code == 200
    assert "Idempotent-Replayed" not in fixed.headers


def test_records_expire_after_24_hours(client, auth, app):
    first = _post_glossary(client, auth, "daily").json()["data"]["id"]
    with app.state.context.db.session() as session:
        session.execute(
            update(IdempotencyRecord).values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
    second = _post_glossary(client, auth, "daily").json()["data"]["id"]
    assert second != first
    assert _count(app, Glossary) == 2
    assert _count(app, IdempotencyRecord) == 1


def test_purge_removes_only_expired_records(client, auth, app):
    _post_glossary(client, auth, "old")
    _post_glossary(client, auth, "new")
    with app.state.context.db.session() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "old")
            .values(created_at=datetime.now(UTC) - timedelta(hours=30))
        )
    assert IdempotencyStore(app.state.context.db).purge_expired() == 1
    with app.state.context.db.session() as session:
        assert session.scalars(select(IdempotencyRecord.key)).all() == ["new"]


def test_reads_ignore_the_header(client, auth, app):
    response = client.get("/v3/brand-glossaries", headers={**auth, "Idempotency-Key": "bad key"})
    assert response.status_code == 200
    assert _count(app, IdempotencyRecord) == 0


def test_unauthenticated_request_is_refused_not_recorded(client, app):
    response = _post_glossary(client, {"x-api-key": "pd_nope"}, "k")
    assert response.status_code == 401
    assert _count(app, IdempotencyRecord) == 0


@pytest.fixture
def postgres_app(tmp_path):
    """The app on a fresh PostgreSQL database of this machine's server, dropped afterwards."""
    import uuid

    import psycopg

    from polydub.api.app import create_app
    from polydub.config import Settings

    admin_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    name = f"polydub_idem_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"postgresql://postgres@127.0.0.1:5432/{name}",
    )
    app = create_app(settings, start_executor=False)
    try:
        yield app
    finally:
        app.state.context.db.engine.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_replay_and_race_on_postgres(postgres_app):
    from fastapi.testclient import TestClient

    from polydub.jobs.keys import create_key

    with postgres_app.state.context.db.session() as session:
        _, secret = create_key(session, "pg")
    auth = {"x-api-key": secret}
    with TestClient(postgres_app) as client:
        first = _post_glossary(client, auth, "pg-key", "A")
        again = _post_glossary(client, auth, "pg-key", "B")
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"

        def post(_):
            return _post_glossary(client, auth, "pg-race", "R")

        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(post, range(6)))
    assert {r.status_code for r in responses} <= {200, 409}
    assert len({r.json()["data"]["id"] for r in responses if r.status_code == 200}) == 1
    assert _count(postgres_app, Glossary) == 2
