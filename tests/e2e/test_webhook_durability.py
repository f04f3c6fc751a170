"""Issue 16's webhook check against real `polydub serve` processes: jobs finish while the
receiver is down for a minute (fast failures, and one real dub of a short clip that the
restart interrupts), the server is killed and restarted during that time, then the receiver
comes up and gets every event exactly once, signed. The retry delays are scaled down (1-4 s),
so a minute holds many attempts on each side of the restart: the issue's two minutes would
only add more of the same attempts."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter

import httpx
import pytest
from file_server import serving
from polydub_server import Service, free_port
from webhook_receiver import Receiver

from polydub.jobs.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify_webhook

pytestmark = pytest.mark.e2e

DOWNTIME_S = 60.0
MAX_DELAY_S = 4.0  # retries at most this far apart: the test ends soon after the receiver is up
DUB_TIMEOUT_S = 600.0  # the real dub, on a loaded machine


@pytest.fixture
def clip_url(tmp_path):
    """A generated 4-second talking clip, served over HTTP from this test process."""
    from polydub.samples import make_talking_clip

    folder = tmp_path / "served"
    folder.mkdir()
    make_talking_clip(folder / "talk.mp4", 4.0)

    with serving(folder) as base:
        yield f"{base}/talk.mp4"


@pytest.fixture
def missing_input_url(tmp_path):
    """A URL on a local server that answers 404: a job using it fails at once, for real."""
    folder = tmp_path / "empty"
    folder.mkdir()

    with serving(folder) as base:
        yield f"{base}/gone.mp4"


def create_failing_jobs(client: httpx.Client, video_url: str, hook_url: str) -> dict[str, str]:
    """One translation into two languages and one lip sync: {job id: its status path}."""
    created = client.post(
        "/v3/video-translations",
        json={
            "video": {"type": "url", "url": video_url},
            "output_languages": ["Spanish", "French"],
            "callback_url": hook_url,
            "callback_id": "cb",
        },
    )
    assert created.status_code == 200, created.text
    jobs = {
        job_id: f"/v3/video-translations/{job_id}"
        for job_id in created.json()["data"]["video_translation_ids"]
    }
    created = client.post(
        "/v3/lipsyncs",
        json={
            "video": {"type": "url", "url": video_url},
            "audio": {"type": "url", "url": video_url},
            "callback_url": hook_url,
        },
    )
    assert created.status_code == 200, created.text
    lipsync_id = created.json()["data"]["lipsync_id"]
    return {**jobs, lipsync_id: f"/v3/lipsyncs/{lipsync_id}"}


def wait_failed(client: httpx.Client, jobs: dict[str, str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    for path in jobs.values():
        while (data := client.get(path).json()["data"])["status"] != "failed":
            assert data["status"] != "completed" and time.monotonic() < deadline, data
            time.sleep(0.5)


def test_every_event_arrives_once_after_downtime_and_a_restart(
    tmp_path, missing_input_url, clip_url
):
    service = Service(tmp_path / "data")
    service.env.update(
        {
            "POLYDUB_WEBHOOK_BASE_DELAY_S": "1",
            "POLYDUB_WEBHOOK_MAX_DELAY_S": str(MAX_DELAY_S),
            # The killed server's claim on a row in flight runs out soon.
            "POLYDUB_WEBHOOK_CLAIM_LEASE_S": "15",
            "POLYDUB_WEBHOOK_TIMEOUT_S": "5",
            "POLYDUB_JOB_WORKERS": "2",  # the failing jobs do not queue behind the dub
        }
    )
    port = free_port()  # nothing listens here yet: connection refused
    hook_url = f"http://127.0.0.1:{port}/hook"
    secret = service.create_key("hooks")
    headers = {"x-api-key": secret}
    receiver = None
    service.start()
    try:
        down_since = time.monotonic()
        with httpx.Client(base_url=service.base, headers=headers, timeout=30) as client:
            created = client.post(
                "/v3/video-translations",
                json={
                    "video": {"type": "url", "url": clip_url},
                    "output_languages": ["Spanish"],
                    "callback_url": hook_url,
                },
            )
            (dub_id,) = created.json()["data"]["video_translation_ids"]
            before = create_failing_jobs(client, missing_input_url, hook_url)
            wait_failed(client, before)
        # Retried against the closed port for a while, then the server dies mid-retries.
        time.sleep(max(0.0, down_since + DOWNTIME_S / 2 - time.monotonic()))
        service.kill(signal.SIGKILL)
        service.start()
        with httpx.Client(base_url=service.base, headers=headers, timeout=30) as client:
            after = create_failing_jobs(client, missing_input_url, hook_url)
            wait_failed(client, after)
        failed = set(before) | set(after)
        jobs = failed | {dub_id}
        time.sleep(max(0.0, down_since + DOWNTIME_S - time.monotonic()))
        attempts_while_down = attempts_by_job(service)
        receiver = Receiver(port=port)
        deadline = time.monotonic() + DUB_TIMEOUT_S  # the failures arrive within seconds
        while len(receiver.requests) < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3 * MAX_DELAY_S)  # long enough for any duplicate to arrive
        with httpx.Client(base_url=service.base, headers=headers, timeout=30) as client:
            history = client.get("/v3/webhooks/events", params={"limit": 100}).json()
    finally:
        service.kill(signal.SIGTERM)
        if receiver is not None:
            receiver.close()

    signing_secret = (service.data_dir / "signing.secret").read_text().strip()
    event_ids = Counter(h[EVENT_ID_HEADER] for h, _ in receiver.requests)
    assert set(event_ids.values()) == {1}, event_ids  # exactly once each
    received = {}
    for request_headers, body in receiver.requests:
        assert verify_webhook(signing_secret, body, request_headers[SIGNATURE_HEADER])
        event = json.loads(body)
        data = event["event_data"]
        received[data.get("video_translation_id") or data.get("lipsync_id")] = event
    assert set(received) == jobs
    assert {received[job]["event_type"] for job in failed} == {
        "video_translate.fail",
        "lipsync.fail",
    }
    assert received[dub_id]["event_type"] == "video_translate.success"
    assert received[dub_id]["event_data"]["url"].startswith(service.base)
    # The failures were tried while the receiver was down, before and after the restart.
    assert failed <= set(attempts_while_down)
    assert min(attempts_while_down[job] for job in failed) >= 2
    assert {event["event_id"] for event in history["data"]} == set(event_ids)


def attempts_by_job(service: Service) -> dict[str, int]:
    with sqlite3.connect(service.data_dir / "polydub.db") as db:
        return dict(db.execute("SELECT entity_id, attempts FROM webhook_deliveries"))
