"""/v3/lipsyncs with TestClient and no executor: validation and its `param`, ownership, listing,
deleting, the asset guard, resuming, and the job's failure path called directly."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.keys import find_key
from polydub.jobs.models import Asset, Batch, Lipsync
from polydub.jobs.spec import MediaRef

VIDEO = {"type": "url", "url": "http://127.0.0.1:9/talk.mp4"}
AUDIO = {"type": "url", "url": "http://127.0.0.1:9/speech.wav"}


def create(client, auth, **fields):
    body = {"video": VIDEO, "audio": AUDIO, **fields}
    return client.post("/v3/lipsyncs", json=body, headers=auth)


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def row_count(app, model) -> int:
    with app.state.context.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def own_asset(app, secret: str, kind: str) -> str:
    with app.state.context.db.session() as session:
        asset = Asset(
            owner_id=find_key(session, secret).id,
            filename=f"a.{kind}",
            content_type=f"{kind}/x",
            kind=kind,
            size=1,
            storage_key=f"assets/x/a.{kind}",
        )
        session.add(asset)
        session.flush()
        return asset.id


def test_create_then_get(client, auth, app):
    response = create(client, auth, title="Dialogue fix", mode="precision", callback_id="c-1")
    assert response.status_code == 200, response.text
    lipsync_id = response.json()["data"]["lipsync_id"]
    got = client.get(f"/v3/lipsyncs/{lipsync_id}", headers=auth)
    assert got.status_code == 200
    data = got.json()["data"]
    assert data["id"] == lipsync_id and data["status"] == "pending"
    assert data["title"] == "Dialogue fix" and data["mode"] == "precision"
    assert data["callback_id"] == "c-1" and data["progress"] == 0
    # HeyGen's caption_url is the SRT's URL (a string once completed), not an object.
    assert data["video_url"] is None and data["caption_url"] is None
    assert data["vtt_caption_url"] is None
    assert isinstance(data["created_at"], int) and data["completed_at"] is None
    with app.state.context.db.session() as session:
        batch = session.get(Batch, lipsync_id)
        spec = stored_spec(batch.kind, batch.request)
        assert batch.kind == "lipsync" and spec.dub_audio == MediaRef(
            kind="url", value=AUDIO["url"]
        )


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"mode": "fancy"}, "mode"),
        ({"start_time": -1}, "start_time"),
        ({"start_time": 5, "end_time": 2}, "end_time"),
        ({"fps_mode": "fast"}, "fps_mode"),
        ({"audio": {"type": "url"}}, "audio.url"),
        ({"audio": {"type": "asset_id", "asset_id": "nope"}}, "audio.asset_id"),
        ({"video": {"type": "url", "url": "ftp://example.com/v.mp4"}}, "video.url"),
        ({"callback_url": "file:///etc/passwd"}, "callback_url"),
        ({"output_languages": ["Spanish"]}, "output_languages"),
    ],
)
def test_create_refuses_invalid_requests_before_any_job(client, auth, app, fields, param):
    error = error_of(create(client, auth, **fields))
    assert error["code"] == "invalid_parameter"
    assert error["param"] == param, error
    assert row_count(app, Lipsync) == 0 and row_count(app, Batch) == 0


def test_missing_audio_names_the_field(client, auth):
    response = client.post("/v3/lipsyncs", json={"video": VIDEO}, headers=auth)
    assert error_of(response)["param"] == "audio"


def test_inputs_must_be_media_of_the_right_kind(client, auth, app, api_key):
    image = own_asset(app, api_key, "image")
    video = own_asset(app, api_key, "video")
    wrong_video = create(client, auth, video={"type": "asset_id", "asset_id": image})
    assert error_of(wrong_video)["param"] == "video.asset_id"
    wrong_audio = create(client, auth, audio={"type": "asset_id", "asset_id": image})
    assert error_of(wrong_audio)["param"] == "audio.asset_id"
    # A video's sound track can be the new audio.
    ok = create(client, auth, audio={"type": "asset_id", "asset_id": video})
    assert ok.status_code == 200, ok.text


def test_another_keys_lipsync_is_absent(client, auth, make_key):
    lipsync_id = create(client, auth).json()["data"]["lipsync_id"]
    other = {"x-api-key": make_key("other")}
    assert error_of(client.get(f"/v3/lipsyncs/{lipsync_id}", headers=other), 404)["code"] == (
        "not_found"
    )
    assert client.delete(f"/v3/lipsyncs/{lipsync_id}", headers=other).status_code == 404
    assert client.get("/v3/lipsyncs", headers=other).json()["data"] == []
    assert client.get(f"/v3/lipsyncs/{lipsync_id}", headers=auth).status_code == 200


def test_list_pages_newest_first(client, auth):
    ids = [create(client, auth, title=f"n{i}").json()["data"]["lipsync_id"] for i in range(5)]
    seen, token = [], None
    while True:
        params = {"limit": 2, **({"next_token": token} if token else {})}
        page = client.get("/v3/lipsyncs", headers=auth, params=params).json()
        seen += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            break
        token = page["next_token"]
    assert seen == ids[::-1]


def test_delete_removes_the_job_and_its_files(client, auth, app):
    lipsync_id = create(client, auth).json()["data"]["lipsync_id"]
    blobs = app.state.context.blobs
    blobs.put_bytes(f"lipsyncs/{lipsync_id}/video.mp4", b"x")
    response = client.delete(f"/v3/lipsyncs/{lipsync_id}", headers=auth)
    assert response.status_code == 200
    assert response.json()["data"] == {"id": lipsync_id, "deleted": True}
    assert client.get(f"/v3/lipsyncs/{lipsync_id}", headers=auth).status_code == 404
    assert not blobs.exists(f"lipsyncs/{lipsync_id}/video.mp4")
    assert row_count(app, Lipsync) == 0 and row_count(app, Batch) == 0


def test_an_asset_is_kept_while_a_lipsync_reads_it(client, auth, app, api_key):
    audio_id = own_asset(app, api_key, "audio")
    created = create(client, auth, audio={"type": "asset_id", "asset_id": audio_id})
    lipsync_id = created.json()["data"]["lipsync_id"]
    refused = client.delete(f"/v3/assets/{audio_id}", headers=auth)
    assert error_of(refused, 409)["code"] == "resource_in_use"
    assert lipsync_id in refused.json()["error"]["message"]
    with app.state.context.db.session() as session:
        session.get(Lipsync, lipsync_id).status = "completed"
    assert client.delete(f"/v3/assets/{audio_id}", headers=auth).status_code == 200


def test_executor_resumes_unfinished_lipsyncs(client, auth, app):
    from polydub.jobs.executor import InProcessExecutor

    done = create(client, auth).json()["data"]["lipsync_id"]
    waiting = create(client, auth).json()["data"]["lipsync_id"]
    with app.state.context.db.session() as session:
        session.get(Lipsync, done).status = "completed"
    assert InProcessExecutor(app.state.context).unfinished_batches() == [waiting]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_failed_download_fails_the_job_with_a_clear_message(client, auth, app, engines):
    from polydub.jobs.steps import run_batch_here

    app.state.context.extras["engines"] = engines
    video = {"type": "url", "url": f"http://127.0.0.1:{closed_port()}/gone.mp4"}
    lipsync_id = create(client, auth, video=video).json()["data"]["lipsync_id"]
    run_batch_here(app.state.context, lipsync_id, lambda: False)
    data = client.get(f"/v3/lipsyncs/{lipsync_id}", headers=auth).json()["data"]
    assert data["status"] == "failed"
    assert "could not download" in data["failure_message"]
    assert "Traceback" not in data["failure_message"]
    assert data["completed_at"] is not None
    with app.state.context.db.session() as session:
        assert session.get(Batch, lipsync_id).status == "failed"


def test_the_resource_carries_the_reports_warnings(client, auth, app):
    lipsync_id = create(client, auth).json()["data"]["lipsync_id"]
    path = f"/v3/lipsyncs/{lipsync_id}"
    assert client.get(path, headers=auth).json()["data"]["warnings"] == []  # not finished
    warnings = ["lip-sync: the speaker's face is turned too far to redraw for 1.2 s"]
    with app.state.context.db.session() as session:
        row = session.get(Lipsync, lipsync_id)
        row.status, row.progress, row.report = "completed", 1.0, {"warnings": warnings}
    assert client.get(path, headers=auth).json()["data"]["warnings"] == warnings
    listed = client.get("/v3/lipsyncs", headers=auth).json()["data"]
    assert next(j for j in listed if j["id"] == lipsync_id)["warnings"] == warnings
