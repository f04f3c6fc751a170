"""The guide's client flow over HTTP against a real `polydub serve` process on loopback, on
SQLite and on PostgreSQL; and a server killed mid-job that resumes the job after restart."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from databases import fresh_postgres_database
from file_server import serving
from polydub_server import Service
from webhook_receiver import Receiver

from polydub.jobs.webhooks import SIGNATURE_HEADER, verify_webhook

pytestmark = pytest.mark.e2e

JOB_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def clip_url(tmp_path_factory):
    """A generated 6-second talking clip, served over HTTP from this test process."""
    from polydub.samples import make_talking_clip

    folder = tmp_path_factory.mktemp("served")
    make_talking_clip(folder / "talk.mp4", 6.0)

    with serving(folder) as base:
        yield f"{base}/talk.mp4"


@pytest.fixture
def hooks():
    """A webhook receiver recording (headers, body)."""
    receiver = Receiver()
    yield receiver.url, receiver.requests
    receiver.close()


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


def poll(client: httpx.Client, translation_id: str, until, timeout: float = JOB_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/v3/video-translations/{translation_id}").json()["data"]
        if data["status"] == "failed":
            raise AssertionError(f"translation failed: {data['failure_message']}")
        if until(data):
            return data
        time.sleep(1.0)
    raise AssertionError(f"timed out; last state {data}")


def probe_streams(path: Path) -> set[str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return {s["codec_type"] for s in json.loads(out)["streams"]}


def client_flow(service: Service, clip_url: str, hooks, tmp_path: Path) -> None:
    """Create (Spanish), poll, captions, download, list, delete: the guide's steps."""
    hook_url, received = hooks
    secret = service.create_key("e2e")
    with httpx.Client(base_url=service.base, headers={"x-api-key": secret}, timeout=30) as client:
        languages = client.get("/v3/video-translations/languages").json()["data"]["languages"]
        assert "Spanish" in languages
        created = client.post(
            "/v3/video-translations",
            json={
                "video": {"type": "url", "url": clip_url},
                "output_languages": ["Spanish"],
                "mode": "speed",
                "title": "My Translated Video",
                "callback_url": hook_url,
                "callback_id": "cb-1",
            },
        )
        assert created.status_code == 200, created.text
        (translation_id,) = created.json()["data"]["video_translation_ids"]
        started = time.monotonic()
        data = poll(client, translation_id, lambda d: d["status"] == "completed")
        print(
            f"\n{service.env.get('POLYDUB_DATABASE_URL', 'sqlite')}: completed in "
            f"{time.monotonic() - started:.1f}s"
        )
        assert data["progress"] == 1.0 and data["title"] == "My Translated Video"
        assert data["input_language"] == "English" and data["output_language"] == "Spanish"
        assert data["duration"] >= 5.9 and data["completed_at"] >= data["created_at"]
        assert data["report"]["target"] == "es" and data["report"]["timing"]["segments"] > 0

        caption = client.get(
            f"/v3/video-translations/{translation_id}/caption", params={"format": "srt"}
        ).json()["data"]
        srt = httpx.get(caption["caption_url"], timeout=30)
        assert srt.status_code == 200 and "-->" in srt.text

        video = httpx.get(data["video_url"], timeout=60)
        assert video.status_code == 200
        local = tmp_path / "dubbed.mp4"
        local.write_bytes(video.content)
        assert probe_streams(local) >= {"video", "audio"}

        listed = client.get("/v3/video-translations", params={"limit": 10}).json()
        assert [item["id"] for item in listed["data"]] == [translation_id]
        assert listed["has_more"] is False

        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            time.sleep(0.2)
        headers, body = received[0]
        secret_file = (service.data_dir / "signing.secret").read_text().strip()
        assert verify_webhook(secret_file, body, headers[SIGNATURE_HEADER])
        event = json.loads(body)
        assert event["event_type"] == "video_translate.success"
        assert event["event_data"]["callback_id"] == "cb-1"

        blob_dir = service.data_dir / "blobs" / "translations" / translation_id
        assert blob_dir.is_dir()
        deleted = client.delete(f"/v3/video-translations/{translation_id}")
        assert deleted.json() == {"data": {"id": translation_id, "deleted": True}}
        assert not blob_dir.exists()
        assert client.get(f"/v3/video-translations/{translation_id}").status_code == 404
        assert httpx.get(data["video_url"], timeout=30).status_code == 404


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_client_flow(database, clip_url, hooks, tmp_path, request):
    database_url = request.getfixturevalue("postgres_url") if database == "postgresql" else None
    service = Service(tmp_path / "data", database_url)
    service.start()
    try:
        client_flow(service, clip_url, hooks, tmp_path)
    finally:
        service.kill(signal.SIGTERM)
    # Every batch settled, so the inputs staged for its workers are gone (checkpoints stay).
    staged = tmp_path / "data" / "blobs" / "batches"
    assert staged.is_dir() and list(staged.glob("*/source*")) == []


def test_job_resumes_after_the_server_is_killed(clip_url, tmp_path):
    service = Service(tmp_path / "data")
    service.start()
    try:
        secret = service.create_key("restart")
        headers = {"x-api-key": secret}
        with httpx.Client(base_url=service.base, headers=headers, timeout=30) as client:
            created = client.post(
                "/v3/video-translations",
                json={"video": {"type": "url", "url": clip_url}, "output_languages": ["Spanish"]},
            )
            (translation_id,) = created.json()["data"]["video_translation_ids"]
            # Past the source side (4 of 11 stages) but not finished: kill it hard.
            poll(client, translation_id, lambda d: d["progress"] >= 0.4)
        service.kill(signal.SIGKILL)
        killed_at = time.time()
        service.start()
        with httpx.Client(base_url=service.base, headers=headers, timeout=30) as client:
            running = client.get(f"/v3/video-translations/{translation_id}").json()["data"]
            assert running["status"] in ("running", "completed")
            data = poll(client, translation_id, lambda d: d["status"] == "completed")
        # The source side was not made again: its checkpoints are all from before the kill.
        source_checkpoints = [
            done
            for done in (tmp_path / "data").rglob("done.json")
            if "source" in done.relative_to(tmp_path / "data").parts
        ]
        assert len(source_checkpoints) >= 4
        assert all(done.stat().st_mtime < killed_at for done in source_checkpoints)
        # The report counts the job's own work across both lives of the server.
        stages = {s["stage"]: s["cached"] for s in data["report"]["stages"]}
        assert not any(stages[name] for name in ("ingest", "separate", "transcribe", "diarize"))
        assert stages["render"] is False
    finally:
        service.kill(signal.SIGTERM)
