"""The Lip Sync API over HTTP, jobs run by the in-process executor: a talking face and other
speech uploaded as assets, POST /v3/lipsyncs, poll, fetch the video, check that the mouth now
follows the new audio; the callback is signed; DELETE of a running job stops it."""

from __future__ import annotations

import json
import time
from urllib.parse import urlparse

import numpy as np
import pytest
from face_clips import SECONDS
from fastapi.testclient import TestClient
from heygen_schema import check_response
from webhook_receiver import Receiver

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.jobs.webhooks import SIGNATURE_HEADER, verify_webhook
from polydub.pipeline.sync_score import score_video

pytestmark = pytest.mark.integration

POLL_LIMIT_S = 300


@pytest.fixture
def served(tmp_path, engines):
    settings = Settings(data_dir=tmp_path / "data", allow_private_urls=True, executor="inprocess")
    app = create_app(settings)
    app.state.context.extras["engines"] = engines  # built once per test session
    with TestClient(app) as client:
        with app.state.context.db.session() as session:
            _, secret = create_key(session, "lipsync")
        yield client, {"x-api-key": secret}, app.state.context


def upload(client, auth, path) -> str:
    response = client.post(
        "/v3/assets", headers=auth, files={"file": (path.name, path.read_bytes())}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def poll(client, auth, path: str) -> dict:
    deadline = time.monotonic() + POLL_LIMIT_S
    while time.monotonic() < deadline:
        data = client.get(path, headers=auth).json()["data"]
        if data["status"] in ("completed", "failed"):
            return data
        time.sleep(0.5)
    raise AssertionError(f"{path} did not finish in {POLL_LIMIT_S}s")


def lipsync_to_the_end(client, auth, video, speech) -> dict:
    """A speed-mode Lip Sync of `video` to `speech`, created over HTTP and polled until it ends."""
    body = {
        "video": {"type": "asset_id", "asset_id": upload(client, auth, video)},
        "audio": {"type": "asset_id", "asset_id": upload(client, auth, speech)},
        "mode": "speed",
    }
    response = client.post("/v3/lipsyncs", headers=auth, json=body)
    assert response.status_code == 200, response.text
    return poll(client, auth, f"/v3/lipsyncs/{response.json()['data']['lipsync_id']}")


def fetch(client, url: str) -> bytes:
    """A signed file URL, fetched through the test client."""
    parsed = urlparse(url)
    response = client.get(f"{parsed.path}?{parsed.query}")
    assert response.status_code == 200
    return response.content


NEW_LINES = ("Welcome back to the studio.", "Today we test the new camera.")


@pytest.fixture(scope="module")
def new_speech(tmp_path_factory):
    """Other words than the face speaks, in another rhythm: the user's replacement audio."""
    from polydub.media.audio import write_wav
    from polydub.samples import speech_track

    speech, _ = speech_track(SECONDS, NEW_LINES, gap=0.4)
    return write_wav(tmp_path_factory.mktemp("speech") / "new_speech.wav", speech)


def test_lipsync_over_http_follows_the_new_audio(served, talking_face, new_speech, tmp_path):
    client, auth, context = served
    receiver = Receiver()
    try:
        body = {
            "video": {"type": "asset_id", "asset_id": upload(client, auth, talking_face)},
            "audio": {"type": "asset_id", "asset_id": upload(client, auth, new_speech)},
            "mode": "speed",
            "title": "new line",
            "callback_url": receiver.url,
            "callback_id": "take-2",
        }
        response = client.post("/v3/lipsyncs", headers=auth, json=body)
        assert response.status_code == 200, response.text
        lipsync_id = response.json()["data"]["lipsync_id"]
        data = poll(client, auth, f"/v3/lipsyncs/{lipsync_id}")
        assert data["status"] == "completed", data["failure_message"]
        check_response("GET /v3/lipsyncs/{lipsync_id}", {"data": data})  # HeyGen's shape
        assert data["progress"] == 1.0 and data["duration"] == pytest.approx(5.0, abs=0.1)

        out = tmp_path / "synced.mp4"
        out.write_bytes(fetch(client, data["video_url"]))
        synced = score_video(out)
        report = data["report"]["lipsync"]
        print({k: round(v["correlation"], 3) for k, v in report["sync"].items()})
        assert report["audio_driven_lines"] == 1 and report["edited_frames"] > 0
        ceiling = report["sync"]["ceiling"]["correlation"]
        assert synced.correlation >= 0.8 * ceiling and abs(synced.lag_frames) <= 1
        assert report["sync"]["floor"]["correlation"] < 0.5 * synced.correlation
        # The captions are what the new audio says.
        srt = fetch(client, data["caption_url"]).decode().lower()  # HeyGen: the SRT URL
        assert "welcome back" in srt and "camera" in srt

        assert receiver.got.wait(10)
        headers, raw = receiver.requests[-1]
        assert verify_webhook(context.secret, raw, headers[SIGNATURE_HEADER])
        event = json.loads(raw)
        assert event["event_type"] == "lipsync.success"
        assert event["event_data"]["lipsync_id"] == lipsync_id
        assert event["event_data"]["callback_id"] == "take-2" and event["event_data"]["url"]
    finally:
        receiver.close()


def test_delete_stops_a_running_lipsync(served, talking_face, dub_wav):
    client, auth, context = served
    body = {
        "video": {"type": "asset_id", "asset_id": upload(client, auth, talking_face)},
        "audio": {"type": "asset_id", "asset_id": upload(client, auth, dub_wav)},
        "mode": "precision",
    }
    lipsync_id = client.post("/v3/lipsyncs", headers=auth, json=body).json()["data"]["lipsync_id"]
    deadline = time.monotonic() + POLL_LIMIT_S
    while client.get(f"/v3/lipsyncs/{lipsync_id}", headers=auth).json()["data"]["status"] == (
        "pending"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert client.delete(f"/v3/lipsyncs/{lipsync_id}", headers=auth).status_code == 200
    # The job stops at its next stage boundary and leaves nothing behind.
    deadline = time.monotonic() + POLL_LIMIT_S
    while context.executor._queued:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert not context.blobs.exists(f"lipsyncs/{lipsync_id}/video.mp4")
    assert client.get(f"/v3/lipsyncs/{lipsync_id}", headers=auth).status_code == 404


def test_lipsync_of_a_video_without_a_face_fails_and_says_why(served, no_face, new_speech):
    """Our choice (README): a Lip Sync job exists for the redraw, so no face is a failure with
    a message a client can act on, not a "completed" job with an untouched picture."""
    client, auth, _ = served
    data = lipsync_to_the_end(client, auth, no_face, new_speech)
    assert data["status"] == "failed"
    assert data["failure_message"] == "no face found in the video: there is no mouth to lip-sync"
    check_response("GET /v3/lipsyncs/{lipsync_id}", {"data": data})


def test_a_speaker_out_of_sight_is_a_warning_on_the_job(served, new_speech, tmp_path):
    """The face leaves the picture for 2 s of the new speech: the job completes and its
    resource says, in `warnings`, for how long the speaker could not be redrawn."""
    from face_clips import FPS, HEIGHT, WIDTH

    from polydub.face_samples import (
        TalkingFaces,
        one_face_placement,
        speech_like_audio,
        syllable_curve,
        write_video,
    )

    curve = syllable_curve(SECONDS, FPS, seed=3)
    faces = TalkingFaces(WIDTH, HEIGHT, [one_face_placement(WIDTH, HEIGHT, zoom=1.6)])
    empty = TalkingFaces(WIDTH, HEIGHT, []).base  # the backdrop alone
    away = (np.arange(len(curve)) >= 1.5 * FPS) & (np.arange(len(curve)) < 3.5 * FPS)
    frames = (empty if gone else faces.frame([v]) for v, gone in zip(curve, away, strict=True))
    video = write_video(tmp_path / "away.mp4", frames, FPS, speech_like_audio(curve, FPS))
    client, auth, _ = served
    data = lipsync_to_the_end(client, auth, video, new_speech)
    print(data["warnings"], json.dumps((data["report"] or {}).get("lipsync", {}).get("lines")))
    assert data["status"] == "completed", data["failure_message"]
    assert data["warnings"] == data["report"]["warnings"]
    assert any("is not visible" in w for w in data["warnings"])
    check_response("GET /v3/lipsyncs/{lipsync_id}", {"data": data})
