"""What an operator watches: health and readiness, Prometheus metrics, the access log with
request ids (carried into the job and its webhook), and key revocation."""

from __future__ import annotations

import logging
import socket
import time
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from webhook_receiver import Receiver

from polydub.api.app import create_app
from polydub.cli_serve import create_api_key, list_api_keys, revoke_api_key
from polydub.config import Settings
from polydub.errors import NotFoundError
from polydub.jobs.keys import find_key
from polydub.jobs.models import Batch, Translation, WebhookDelivery, utcnow
from polydub.logging_setup import RequestIdFilter

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class Records(logging.Handler):
    """Keeps the records that reach it, with the request id filter every real handler has."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def log_records():
    handler = Records()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.records
    root.removeHandler(handler)
    root.setLevel(old_level)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, through Prometheus's own text parser."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_answers_without_a_key(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_flips_when_the_job_process_dies(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", executor="subprocess")
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        executor = app.state.context.executor
        child = executor._process
        child.kill()
        child.join(10)
        # The supervisor waits at least a second before replacing a child that died young.
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["checks"]["job_process"] == "job process not running"
        assert down.json()["checks"]["database"] == "ok"
        deadline = time.monotonic() + 60
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert client.get("/readyz").status_code == 200  # replaced
        assert executor.restarts == 1


@pytest.fixture
def postgres_database():
    name = f"polydub_ready_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_readyz_flips_when_the_database_is_gone(tmp_path, postgres_database):
    url = f"postgresql://postgres@127.0.0.1:5432/{postgres_database}"
    settings = Settings(data_dir=tmp_path / "data", database_url=url, executor="inprocess")
    app = create_app(settings)

    def set_connections(allowed: bool) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                f'ALTER DATABASE "{postgres_database}" ALLOW_CONNECTIONS {str(allowed).lower()}'
            )
            if not allowed:  # and drop the pool's open connections, as a restart would
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (postgres_database,),
                )

    with TestClient(app) as client:
        assert client.get("/readyz").status_code == 200
        set_connections(False)
        try:
            down = client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["checks"]["database"] != "ok"
            assert client.get("/healthz").status_code == 200  # the process itself is fine
        finally:
            set_connections(True)
        assert client.get("/readyz").status_code == 200


def test_metrics_count_requests_jobs_and_stage_seconds(client, app, auth, api_key):
    for _ in range(3):
        assert client.get("/v3/video-translations").status_code == 401
    assert client.get("/v3/video-translations", headers=auth).status_code == 200
    context = app.state.context
    with context.db.session() as session:
        owner = find_key(session, api_key).id
        batch = Batch(owner_id=owner, kind="translation", request={})
        session.add(batch)
        session.flush()
        report = {"stages": [{"stage": "asr", "seconds": 4.0, "cached": False},
                             {"stage": "mix", "seconds": 0.5, "cached": True}]}  # fmt: skip
        for status in ("pending", "failed", "completed"):
            session.add(
                Translation(
                    owner_id=owner,
                    batch_id=batch.id,
                    output_language="Spanish",
                    output_code="es",
                    status=status,
                    report=report if status == "completed" else None,
                    completed_at=utcnow() if status == "completed" else None,
                )
            )
        for status, tries in (("failed", 2), ("delivered", 3), ("pending", 1)):
            session.add(
                WebhookDelivery(
                    owner_id=owner,
                    event_type=f"video_translate.{status}",
                    entity_kind="translation",
                    entity_id=f"t-{status}",
                    url="http://127.0.0.1:9/hook",
                    body={},
                    status=status,
                    attempts=tries,
                )
            )
    text = client.get("/metrics").text
    values = samples(text)
    route = ("route", "/v3/video-translations")
    assert (
        values[("polydub_http_requests_total", (("method", "GET"), route, ("status", "401")))] == 3
    )
    assert (
        values[("polydub_http_requests_total", (("method", "GET"), route, ("status", "200")))] == 1
    )
    for status in ("pending", "failed", "completed"):
        key = ("polydub_jobs", (("kind", "translation"), ("status", status)))
        assert values[key] == 1
    assert values[("polydub_queue_depth", (("queue", "local"),))] == 1  # the pending batch
    webhook = (("kind", "translation"), ("status", "delivered"))
    assert values[("polydub_webhook_events", webhook)] == 1
    assert values[("polydub_webhook_deliveries_total", (("kind", "translation"),))] == 6
    # One of the six attempts got its 2xx: the delivered event's last.
    assert values[("polydub_webhook_delivery_failures_total", (("kind", "translation"),))] == 5
    assert values[("polydub_webhook_deliveries_total", (("kind", "lipsync"),))] == 0
    assert values[("polydub_stage_seconds_count", (("stage", "asr"),))] == 1
    assert values[("polydub_stage_seconds_sum", (("stage", "asr"),))] == 4.0
    assert ("polydub_stage_seconds_count", (("stage", "mix"),)) not in values  # from a checkpoint
    # Scraped again: the same job is not counted twice.
    again = samples(client.get("/metrics").text)
    assert again[("polydub_stage_seconds_count", (("stage", "asr"),))] == 1


def test_request_id_is_echoed_and_logged(client, auth, log_records):
    response = client.get("/v3/video-translations", headers={**auth, "X-Request-Id": "ops-1"})
    assert response.headers["x-request-id"] == "ops-1"
    generated = client.get("/v3/video-translations").headers["x-request-id"]
    assert len(generated) == 32
    unsafe = client.get("/v3/video-translations", headers={"X-Request-Id": "bad id\nforged"})
    assert unsafe.headers["x-request-id"] != "bad id\nforged"
    client.get("/healthz")  # a passing probe: DEBUG, below this log's level
    access = [r for r in log_records if r.name == "polydub.access"]
    assert [(r.request_id, r.status) for r in access] == [
        ("ops-1", 200),
        (generated, 401),  # a refused request leaves a trace too
        (unsafe.headers["x-request-id"], 401),
    ]


def test_request_id_reaches_the_job_logs_and_its_webhook(client, auth, app, log_records):
    from polydub.jobs.steps import run_batch_here
    from polydub.jobs.webhook_dispatcher import WebhookDispatcher

    receiver = Receiver()
    try:
        body = {
            "video": {"type": "url", "url": f"http://127.0.0.1:{closed_port()}/gone.mp4"},
            "audio": {"type": "url", "url": f"http://127.0.0.1:{closed_port()}/gone.wav"},
            "callback_url": receiver.url,
        }
        created = client.post(
            "/v3/lipsyncs", json=body, headers={**auth, "X-Request-Id": "trace-42"}
        )
        assert created.status_code == 200, created.text
        lipsync_id = created.json()["data"]["lipsync_id"]
        with app.state.context.db.session() as session:
            assert session.get(Batch, lipsync_id).request_id == "trace-42"
        run_batch_here(app.state.context, lipsync_id, lambda: False)  # fails: no such input
        # The job recorded its event with the request id; a dispatcher (any process) sends it.
        assert WebhookDispatcher(app.state.context).send_due() == 1
        assert receiver.got.wait(10)
        headers, _ = receiver.requests[0]
        assert headers["X-Request-Id"] == "trace-42"
        job_lines = [r for r in log_records if r.name.startswith("polydub.jobs")]
        assert any(lipsync_id in r.getMessage() for r in job_lines)
        assert {r.request_id for r in job_lines} == {"trace-42"}
    finally:
        receiver.close()


def test_a_revoked_key_fails_at_once(client, api_settings):
    key_id, secret = create_api_key(api_settings, "to-revoke")
    headers = {"x-api-key": secret}
    assert client.get("/v3/video-translations", headers=headers).status_code == 200  # cached
    revoke_api_key(api_settings, key_id)
    refused = client.get("/v3/video-translations", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"
    listed = {k.id: k for k in list_api_keys(api_settings)}
    assert listed[key_id].revoked_at is not None
    with pytest.raises(NotFoundError):
        revoke_api_key(api_settings, "no-such-key")
