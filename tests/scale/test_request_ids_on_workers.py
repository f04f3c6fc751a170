"""A request's X-Request-Id reaches the Celery worker that runs its job: the worker's log
lines and the job's webhook carry it."""

from __future__ import annotations

import time

import httpx
import pytest
from cluster import Cluster
from scale_services import free_port
from webhook_receiver import Receiver

pytestmark = pytest.mark.e2e


def test_the_request_id_travels_to_the_worker_and_its_webhook(
    tmp_path, postgres_url, redis_server, s3_server, bucket
):
    cluster = Cluster(
        tmp_path / "cluster",
        database_url=postgres_url,
        broker_url=redis_server.url,
        s3_endpoint=s3_server.endpoint,
        bucket=bucket,
        extra_env={"POLYDUB_WEBHOOK_MAX_ATTEMPTS": "1"},
    )
    receiver = Receiver()
    try:
        key = cluster.create_key()
        cluster.start_api()
        cluster.start_worker("w1")
        gone = f"http://127.0.0.1:{free_port()}"  # nothing listens: the job fails at once
        body = {
            "video": {"type": "url", "url": f"{gone}/talk.mp4"},
            "audio": {"type": "url", "url": f"{gone}/speech.wav"},
            "callback_url": receiver.url,
        }
        created = httpx.post(
            cluster.base + "/v3/lipsyncs",
            json=body,
            headers={"x-api-key": key, "X-Request-Id": "trace-celery-1"},
            timeout=30,
        )
        assert created.status_code == 200, created.text
        assert created.headers["x-request-id"] == "trace-celery-1"
        assert receiver.got.wait(180), cluster.logs()
        headers, _ = receiver.requests[0]
        assert headers["X-Request-Id"] == "trace-celery-1"
        deadline = time.monotonic() + 10  # the worker's log is written as it goes
        while "[trace-celery-1]" not in cluster.workers["w1"].text():
            assert time.monotonic() < deadline, cluster.logs()
            time.sleep(0.2)
    finally:
        receiver.close()
        cluster.stop()
