"""/v3/video-translations with TestClient: validation and its `param`, ownership, listing,
deleting, captions; and the translation task's failure path called directly."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient
from spoken_clips import german_speech_clip
from sqlalchemy import func, select

from polydub.api.app import create_app
from polydub.jobs.models import Asset, Batch, Translation

VIDEO = {"type": "url", "url": "http://127.0.0.1:9/talk.mp4"}


@pytest.fixture(autouse=True)
def _shared_engines(app, engines):
    # Building engines costs seconds; every app in this module reuses the session's set.
    app.state.context.extras["engines"] = engines


def create(client, auth, **fields):
    body = {"video": VIDEO, "output_languages": ["Spanish"], **fields}
    return client.post("/v3/video-translations", json=body, headers=auth)


def error_of(response) -> dict:
    assert response.status_code == 400, response.text
    return response.json()["error"]


def run_created_job(client, auth, app, created) -> dict:
    """Run the batch of a create's (only) translation here, inline; its resource afterwards."""
    from polydub.jobs.steps import run_batch_here

    translation_id = created.json()["data"]["video_translation_ids"][0]
    context = app.state.context
    with context.db.session() as session:
        batch_id = session.get(Translation, translation_id).batch_id
    run_batch_here(context, batch_id, lambda: False)
    return client.get(f"/v3/video-translations/{translation_id}", headers=auth).json()["data"]


def row_count(app, model) -> int:
    with app.state.context.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_create_returns_one_id_per_language(client, auth, app):
    response = create(client, auth, output_languages=["Spanish", "French"], title="Demo")
    assert response.status_code == 200, response.text
    ids = response.json()["data"]["video_translation_ids"]
    assert len(ids) == 2 and len(set(ids)) == 2
    got = [client.get(f"/v3/video-translations/{i}", headers=auth).json()["data"] for i in ids]
    assert [g["output_language"] for g in got] == ["Spanish", "French"]
    assert {g["status"] for g in got} == {"pending"}
    assert got[0]["title"] == "Demo" and got[0]["mode"] == "speed"
    assert got[0]["progress"] == 0 and got[0]["video_url"] is None
    assert isinstance(got[0]["created_at"], int) and got[0]["completed_at"] is None
    assert row_count(app, Batch) == 1  # the languages share one batch


def test_create_accepts_bearer_auth(client, api_key):
    response = create(client, {"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 200, response.text


def test_create_without_key_is_401(client):
    response = create(client, {})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"surprise": 1}, "surprise"),
        ({"stock_voice_config": {"use_stock_voice": True, "colour": "red"}}, None),
        ({"mode": "turbo"}, "mode"),
        ({"srt_role": "sideways"}, "srt_role"),
        ({"fps_mode": "60"}, "fps_mode"),
        ({"output_languages": []}, "output_languages"),
        ({"output_languages": ["Klingon"]}, "output_languages"),
        ({"input_language": "Elvish"}, "input_language"),
        ({"start_time": -1}, "start_time"),
        ({"start_time": 5, "end_time": 3}, "end_time"),
        ({"video": {"type": "url"}}, "video.url"),
        ({"video": {"type": "ftp", "url": "x"}}, "video"),
        ({"video": {"type": "url", "url": "file:///etc/passwd"}}, "video.url"),
        ({"video": {"type": "asset_id", "asset_id": "nope"}}, "video.asset_id"),
        ({"audio": {"type": "asset_id", "asset_id": "nope"}}, "audio.asset_id"),
        (
            {"stock_voice_config": {"preferred_stock_voice_ids": ["kokoro:nobody"]}},
            "stock_voice_config.preferred_stock_voice_ids",
        ),
    ],
)
def test_create_refuses_invalid_requests_before_any_job(client, auth, app, fields, param):
    error = error_of(create(client, auth, **fields))
    assert error["code"] == "invalid_parameter"
    if param is not None:
        assert error["param"] == param
    else:
        assert error["param"].startswith("stock_voice_config")
    assert row_count(app, Translation) == 0 and row_count(app, Batch) == 0


@pytest.mark.parametrize("input_language", [None, "English"])
def test_a_target_no_route_serves_is_refused_naming_it(client, auth, app, input_language):
    # Japanese has voices here (Kokoro) but no translation engine or pivot route into it.
    fields = {"input_language": input_language} if input_language else {}
    error = error_of(create(client, auth, output_languages=["Spanish", "Japanese"], **fields))
    assert error["param"] == "output_languages" and "Japanese" in error["message"]
    assert row_count(app, Translation) == 0 and row_count(app, Batch) == 0


def test_french_from_english_is_accepted_through_the_pivot(client, auth):
    # Apertium has no English -> French pair; English -> Spanish -> French serves it.
    response = create(client, auth, output_languages=["French"], input_language="English")
    assert response.status_code == 200, response.text
    body = client.get("/v3/video-translations/languages", headers=auth).json()["data"]
    french = next(d for d in body["details"] if d["name"] == "French")
    routes = [r for r in french["translation"] if r.startswith("apertium via es (")]
    assert routes and "en" in routes[0].split("(")[1].rstrip(")").split(", ")
    assert "Japanese" not in body["languages"]


def test_missing_video_names_the_field(client, auth):
    response = client.post(
        "/v3/video-translations", json={"output_languages": ["Spanish"]}, headers=auth
    )
    error = error_of(response)
    assert error["param"] == "video" and "required" in error["message"]


def test_another_keys_asset_is_not_found(client, auth, app, make_key):
    other = make_key("other")
    with app.state.context.db.session() as session:
        from polydub.jobs.keys import find_key

        owner = find_key(session, other)
        asset = Asset(
            owner_id=owner.id,
            filename="v.mp4",
            content_type="video/mp4",
            kind="video",
            size=1,
            storage_key="assets/x/v.mp4",
        )
        session.add(asset)
        session.flush()
        asset_id = asset.id
    ref = {"type": "asset_id", "asset_id": asset_id}
    assert error_of(create(client, auth, video=ref))["param"] == "video.asset_id"
    assert create(client, {"x-api-key": other}, video=ref).status_code == 200


@pytest.fixture
def strict_client(tmp_path, engines):
    """An app that refuses private URLs (the default configuration)."""
    from polydub.config import Settings

    app = create_app(Settings(data_dir=tmp_path / "strict"), start_executor=False)
    app.state.context.extras["engines"] = engines
    with app.state.context.db.session() as session:
        from polydub.jobs.keys import create_key

        _, secret = create_key(session, "strict")
    with TestClient(app) as client:
        yield client, {"x-api-key": secret}


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"video": {"type": "url", "url": "http://127.0.0.1/v.mp4"}}, "video.url"),
        ({"video": {"type": "url", "url": "http://localhost:8000/v.mp4"}}, "video.url"),
        ({"video": {"type": "url", "url": "http://169.254.169.254/latest"}}, "video.url"),
        ({"video": {"type": "url", "url": "http://[::ffff:10.0.0.1]/v.mp4"}}, "video.url"),
        ({"srt": {"type": "url", "url": "http://192.168.1.2/a.srt"}}, "srt.url"),
        ({"callback_url": "http://10.0.0.5/hook"}, "callback_url"),
    ],
)
def test_private_urls_are_refused_by_default(strict_client, fields, param):
    client, auth = strict_client
    body = {"video": {"type": "url", "url": "http://93.184.215.14/v.mp4"}, **fields}
    error = error_of(create(client, auth, **body))
    assert error["param"] == param and error["code"] == "invalid_parameter"


def test_other_keys_translation_is_404(client, auth, make_key):
    translation_id = create(client, auth).json()["data"]["video_translation_ids"][0]
    other = {"x-api-key": make_key("other")}
    for method, path in (
        ("GET", f"/v3/video-translations/{translation_id}"),
        ("DELETE", f"/v3/video-translations/{translation_id}"),
        ("GET", f"/v3/video-translations/{translation_id}/caption?format=srt"),
    ):
        response = client.request(method, path, headers=other)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
    assert client.get("/v3/video-translations", headers=other).json()["data"] == []
    assert client.get(f"/v3/video-translations/{translation_id}", headers=auth).status_code == 200


def test_list_pages_newest_first_without_gaps(client, auth):
    created = []
    for _ in range(3):
        ids = create(client, auth, output_languages=["Spanish", "French"]).json()["data"]
        created += ids["video_translation_ids"]
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"next_token": token} if token else {})
        body = client.get("/v3/video-translations", params=params, headers=auth).json()
        pages += 1
        assert len(body["data"]) <= 2
        seen += [item["id"] for item in body["data"]]
        if not body["has_more"]:
            assert body["next_token"] is None
            break
        token = body["next_token"]
    assert pages == 3
    assert sorted(seen) == sorted(created) and len(seen) == len(set(seen))
    created_at = [
        client.get(f"/v3/video-translations/{i}", headers=auth).json()["data"]["created_at"]
        for i in seen
    ]
    assert created_at == sorted(created_at, reverse=True)


@pytest.mark.parametrize(
    ("params", "param"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"next_token": "!!"}, "next_token")],
)
def test_list_refuses_bad_paging(client, auth, params, param):
    response = client.get("/v3/video-translations", params=params, headers=auth)
    assert error_of(response)["param"] == param


def complete(app, translation_id: str) -> None:
    """Mark a translation completed with small output files, as the task would."""
    context = app.state.context
    prefix = f"translations/{translation_id}"
    keys = {
        "video_key": context.blobs.put_bytes(f"{prefix}/video.mp4", b"\x00" * 1000),
        "srt_key": context.blobs.put_bytes(f"{prefix}/captions.srt", b"1\n00:00:00,000 --> "),
        "vtt_key": context.blobs.put_bytes(f"{prefix}/captions.vtt", b"WEBVTT\n"),
    }
    with context.db.session() as session:
        row = session.get(Translation, translation_id)
        row.status, row.progress, row.duration = "completed", 1.0, 6.0
        row.report = {"target": "es"}
        for name, key in keys.items():
            setattr(row, name, key)


def test_caption_links_are_signed_and_served(client, auth, app):
    translation_id = create(client, auth).json()["data"]["video_translation_ids"][0]
    path = f"/v3/video-translations/{translation_id}/caption"
    assert client.get(path, params={"format": "srt"}, headers=auth).status_code == 404
    assert error_of(client.get(path, params={"format": "ass"}, headers=auth))["param"] == "format"
    complete(app, translation_id)
    for fmt, head in (("srt", b"1\n"), ("vtt", b"WEBVTT")):
        body = client.get(path, params={"format": fmt}, headers=auth).json()["data"]
        assert body["format"] == fmt and "signature=" in body["caption_url"]
        fetched = client.get(body["caption_url"])  # no API key: the signature is the grant
        assert fetched.status_code == 200 and fetched.content.startswith(head)
    data = client.get(f"/v3/video-translations/{translation_id}", headers=auth).json()["data"]
    assert data["status"] == "completed" and data["report"] == {"target": "es"}
    assert client.get(data["video_url"]).content == b"\x00" * 1000
    assert client.get(data["caption_url"]["vtt"]).content.startswith(b"WEBVTT")


def test_delete_removes_row_and_files(client, auth, app):
    translation_id = create(client, auth).json()["data"]["video_translation_ids"][0]
    complete(app, translation_id)
    blobs = app.state.context.blobs
    assert blobs.exists(f"translations/{translation_id}/video.mp4")
    video_url = client.get(f"/v3/video-translations/{translation_id}", headers=auth).json()["data"][
        "video_url"
    ]
    response = client.delete(f"/v3/video-translations/{translation_id}", headers=auth)
    assert response.json() == {"data": {"id": translation_id, "deleted": True}}
    assert not blobs.path(f"translations/{translation_id}").exists()
    assert client.get(f"/v3/video-translations/{translation_id}", headers=auth).status_code == 404
    assert client.get(video_url).status_code == 404
    assert (
        client.delete(f"/v3/video-translations/{translation_id}", headers=auth).status_code == 404
    )


def test_languages_lists_heygen_names_with_engines(client, auth):
    body = client.get("/v3/video-translations/languages", headers=auth).json()["data"]
    assert "Spanish" in body["languages"] and "English" in body["languages"]
    spanish = next(d for d in body["details"] if d["name"] == "Spanish")
    assert spanish["code"] == "es" and spanish["voices"] and spanish["translation"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_task_records_a_failed_download_without_a_traceback(client, auth, app):
    url = f"http://127.0.0.1:{closed_port()}/gone.mp4"
    body = create(client, auth, video={"type": "url", "url": url}, output_languages=["Spanish"])
    data = run_created_job(client, auth, app, body)
    assert data["status"] == "failed"
    assert "could not download" in data["failure_message"]
    assert "Traceback" not in data["failure_message"]
    assert data["completed_at"] is not None


def test_executor_finds_unfinished_batches(client, auth, app):
    from polydub.jobs.executor import InProcessExecutor

    first = create(client, auth).json()["data"]["video_translation_ids"][0]
    create(client, auth)
    complete(app, first)
    executor = InProcessExecutor(app.state.context)
    with app.state.context.db.session() as session:
        pending_batches = set(
            session.scalars(select(Translation.batch_id).where(Translation.id != first))
        )
    assert set(executor.unfinished_batches()) == pending_batches


def _own_asset(app, secret: str) -> str:
    from polydub.jobs.keys import find_key

    with app.state.context.db.session() as session:
        asset = Asset(
            owner_id=find_key(session, secret).id,
            filename="v.mp4",
            content_type="video/mp4",
            kind="video",
            size=1,
            storage_key="assets/in-use/v.mp4",
        )
        session.add(asset)
        session.flush()
        return asset.id


def test_an_asset_is_kept_while_an_unfinished_job_reads_it(client, auth, app, api_key):
    asset_id = _own_asset(app, api_key)
    video = {"type": "asset_id", "asset_id": asset_id}
    created = create(client, auth, video=video, output_languages=["Spanish", "French"])
    ids = created.json()["data"]["video_translation_ids"]

    refused = client.delete(f"/v3/assets/{asset_id}", headers=auth)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "resource_in_use" and error["param"] == "asset_id"
    assert ids[0] in error["message"]
    assert client.get(f"/v3/assets/{asset_id}", headers=auth).status_code == 200

    # Once neither job is unfinished, the asset can go.
    client.delete(f"/v3/video-translations/{ids[0]}", headers=auth)
    assert client.delete(f"/v3/assets/{asset_id}", headers=auth).status_code == 409
    with app.state.context.db.session() as session:
        session.get(Translation, ids[1]).status = "completed"
    assert client.delete(f"/v3/assets/{asset_id}", headers=auth).status_code == 200


def test_a_job_keeps_the_glossary_terms_it_was_created_with(client, auth, app):
    from polydub.jobs.heygen_requests import stored_spec

    glossary = client.post(
        "/v3/brand-glossaries",
        headers=auth,
        json={"name": "brand", "terms": [{"source": "product", "target": "Polydub"}]},
    ).json()["data"]
    created = create(client, auth, brand_glossary_id=glossary["id"])
    translation_id = created.json()["data"]["video_translation_ids"][0]
    # Edited, then deleted, before the job runs: the job still has the original terms.
    client.patch(
        f"/v3/brand-glossaries/{glossary['id']}",
        headers=auth,
        json={"terms": [{"source": "product", "target": "producto"}]},
    )
    assert client.delete(f"/v3/brand-glossaries/{glossary['id']}", headers=auth).status_code == 200
    with app.state.context.db.session() as session:
        batch = session.get(Batch, session.get(Translation, translation_id).batch_id)
        spec = stored_spec(batch.kind, batch.request)
    assert spec.glossary.as_dict() == {"product": "Polydub"}


def test_a_target_no_route_serves_from_the_heard_language_fails_alone_in_seconds(
    client, auth, app, tmp_path
):
    """No input_language: the job listens to the video's first seconds before the source side,
    and fails the target no route serves from what it heard (German -> Spanish here), naming
    it, without separating or transcribing anything."""
    clip = german_speech_clip(tmp_path)
    uploaded = client.post(
        "/v3/assets", headers=auth, files={"file": ("de.mp4", clip.read_bytes(), "video/mp4")}
    )
    asset_id = uploaded.json()["data"]["asset_id"]
    body = create(client, auth, video={"type": "asset_id", "asset_id": asset_id})
    assert body.status_code == 200, body.text
    data = run_created_job(client, auth, app, body)
    assert data["status"] == "failed"
    assert "sounds German" in data["failure_message"]
    assert "German -> Spanish" in data["failure_message"]
    work = app.state.context.settings.data_dir / "work"
    assert not list(work.rglob("separate")) and not list(work.rglob("transcribe"))


def test_the_resource_carries_the_reports_warnings(client, auth, app):
    translation_id = create(client, auth).json()["data"]["video_translation_ids"][0]
    path = f"/v3/video-translations/{translation_id}"
    assert client.get(path, headers=auth).json()["data"]["warnings"] == []  # not finished
    complete(app, translation_id)
    warnings = [
        "lip-sync: the speaker's face is not visible (or turned away) for 2.4 s of speech",
        "lip-sync: 1 of 3 lines were left untouched because the redrawn mouth did not follow "
        "the dub better than the original (lines 2)",
    ]
    with app.state.context.db.session() as session:
        session.get(Translation, translation_id).report = {"target": "es", "warnings": warnings}
    data = client.get(path, headers=auth).json()["data"]
    assert data["warnings"] == warnings == data["report"]["warnings"]
    listed = client.get("/v3/video-translations", headers=auth).json()["data"]
    assert next(t for t in listed if t["id"] == translation_id)["warnings"] == warnings
