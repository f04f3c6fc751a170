"""/v3/video-translations against HeyGen's own schemas: every answer of the real app (SQLite
and PostgreSQL) passes check_response, and bad input gets the error envelope.

Endpoints: create, get, list (paged with `token`), PATCH, DELETE, languages, statuses, batches
(create and get, Idempotency-Key). One real job runs (through a batch) so the completed-state
fields, video_url, audio_url and the caption URLs, are checked against what they serve.
"""

from __future__ import annotations

import functools
import socket
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from heygen_schema import check_request, check_response, path_for
from sqlalchemy import func, select

from polydub.jobs.models import JobBatch, Translation, WebhookDelivery

GET = "GET /v3/video-translations/{video_translation_id}"
LIST = "GET /v3/video-translations"
CREATE = "POST /v3/video-translations"
PATCH = "PATCH /v3/video-translations/{video_translation_id}"
DELETE = "DELETE /v3/video-translations/{video_translation_id}"
STATUSES = "GET /v3/video-translations/statuses"
BATCH_CREATE = "POST /v3/video-translations/batches"
BATCH_GET = "GET /v3/video-translations/batches/{batch_id}"
LANGUAGES = "GET /v3/video-translations/languages"

UNREACHABLE = {"type": "url", "url": "http://127.0.0.1:9/talk.mp4"}


def payload(**fields) -> dict:
    return {"video": UNREACHABLE, "output_languages": ["Spanish"], **fields}


def create(client, auth, **fields) -> list[str]:
    body = payload(**fields)
    check_request(CREATE, body)
    response = client.post("/v3/video-translations", json=body, headers=auth)
    assert response.status_code == 200, response.text
    check_response(CREATE, response.json())
    return response.json()["data"]["video_translation_ids"]


def get(client, auth, translation_id: str) -> dict:
    response = client.get(path_for(GET, video_translation_id=translation_id), headers=auth)
    assert response.status_code == 200, response.text
    check_response(GET, response.json())
    return response.json()["data"]


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message", "param"}
    return error


# -- get, list, patch, delete --------------------------------------------------------------------


def test_a_new_translation_has_heygens_fields(client, auth):
    (translation_id,) = create(
        client, auth, title="Demo", callback_id="cb-7", translate_audio_only=True
    )
    data = get(client, auth, translation_id)
    assert data["status"] == "pending" and data["title"] == "Demo"
    assert data["callback_id"] == "cb-7" and data["translate_audio_only"] is True
    assert data["output_language"] == "Spanish" and isinstance(data["created_at"], int)
    for field in ("video_url", "audio_url", "srt_caption_url", "vtt_caption_url"):
        assert data[field] is None  # only once completed
    assert data["caption_url"] == {"srt": None, "vtt": None}  # Polydub's older form, kept


def test_list_pages_with_token_and_next_token_alias(client, make_key):
    auth = make_key("pager")
    ids = [create(client, auth, title=f"t{i}")[0] for i in range(3)]
    first = client.get("/v3/video-translations", params={"limit": 2}, headers=auth)
    check_response(LIST, first.json())
    assert first.json()["has_more"] is True and first.json()["next_token"]
    token = first.json()["next_token"]
    second = client.get("/v3/video-translations", params={"limit": 2, "token": token}, headers=auth)
    check_response(LIST, second.json())
    assert second.json()["has_more"] is False and second.json()["next_token"] is None
    seen = [row["id"] for row in first.json()["data"] + second.json()["data"]]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 3
    # Polydub's older query name still pages the same way.
    alias = client.get(
        "/v3/video-translations", params={"limit": 2, "next_token": token}, headers=auth
    )
    assert [r["id"] for r in alias.json()["data"]] == [r["id"] for r in second.json()["data"]]


@pytest.mark.parametrize(
    ("params", "param"),
    [({"token": "not-a-token"}, "token"), ({"next_token": "%%%"}, "next_token")],
)
def test_list_refuses_a_token_it_did_not_issue(client, auth, params, param):
    response = client.get("/v3/video-translations", params=params, headers=auth)
    assert error_of(response)["param"] == param


def test_patch_changes_the_title(client, auth):
    (translation_id,) = create(client, auth, title="Before")
    body = {"title": "After"}
    check_request(PATCH, body)
    path = path_for(PATCH, video_translation_id=translation_id)
    response = client.patch(path, json=body, headers=auth)
    assert response.status_code == 200, response.text
    check_response(PATCH, response.json())
    assert response.json()["data"]["title"] == "After"
    assert get(client, auth, translation_id)["title"] == "After"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "title"),
        ({"title": 5}, "title"),
        ({"title": None}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"title": "ok", "colour": "red"}, "colour"),
    ],
)
def test_patch_refuses_bad_bodies(client, auth, body, param):
    (translation_id,) = create(client, auth)
    path = path_for(PATCH, video_translation_id=translation_id)
    assert error_of(client.patch(path, json=body, headers=auth))["param"] == param


def test_patch_get_delete_of_a_missing_or_foreign_translation_are_404(client, auth, make_key):
    (translation_id,) = create(client, auth)
    other = make_key("other")
    for target, headers in (("nope", auth), (translation_id, other)):
        path = path_for(GET, video_translation_id=target)
        for response in (
            client.get(path, headers=headers),
            client.patch(path, json={"title": "x"}, headers=headers),
            client.delete(path, headers=headers),
        ):
            assert error_of(response, 404)["code"] == "not_found"


def test_delete_answers_the_id(client, auth):
    (translation_id,) = create(client, auth)
    response = client.delete(path_for(DELETE, video_translation_id=translation_id), headers=auth)
    assert response.status_code == 200
    check_response(DELETE, response.json())
    assert response.json()["data"]["id"] == translation_id


def test_languages(client, auth):
    response = client.get("/v3/video-translations/languages", headers=auth)
    assert response.status_code == 200
    check_response(LANGUAGES, response.json())
    assert "Spanish" in response.json()["data"]["languages"]


# -- statuses ------------------------------------------------------------------------------------


def test_statuses_of_ids_and_unknown_ids(client, auth, make_key):
    first, second = create(client, auth, output_languages=["Spanish", "French"])
    foreign = create(client, make_key("other"))[0]
    ids = ",".join([first, "missing", second, foreign])
    response = client.get(
        "/v3/video-translations/statuses", params={"video_translation_ids": ids}, headers=auth
    )
    assert response.status_code == 200, response.text
    check_response(STATUSES, response.json())
    got = [(e["video_id"], e["status"]) for e in response.json()["data"]]
    assert got == [
        (first, "queued"),
        ("missing", "not_found"),
        (second, "queued"),
        (foreign, "not_found"),  # another key's job is as absent as a missing one
    ]


def test_statuses_page_with_token(client, auth):
    ids = create(client, auth, output_languages=["Spanish", "French"]) + create(client, auth)
    params = {"video_translation_ids": ",".join(ids), "limit": 2}
    first = client.get("/v3/video-translations/statuses", params=params, headers=auth).json()
    check_response(STATUSES, first)
    assert first["has_more"] is True
    params["token"] = first["next_token"]
    second = client.get("/v3/video-translations/statuses", params=params, headers=auth).json()
    check_response(STATUSES, second)
    assert second["has_more"] is False
    assert [e["video_id"] for e in first["data"] + second["data"]] == ids


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "video_translation_ids"),
        ({"video_translation_ids": ",".join(f"id{i}" for i in range(101))}, None),
        ({"video_translation_ids": "a", "limit": 0}, "limit"),
        ({"video_translation_ids": "a", "limit": "many"}, "limit"),
        ({"video_translation_ids": "a", "token": "bogus"}, "token"),
        ({"batch_ids": "x" * 300}, "batch_ids"),
        ({"batch_ids": "a\x00b"}, "batch_ids"),
    ],
)
def test_statuses_refuse_bad_queries(client, auth, params, param):
    response = client.get("/v3/video-translations/statuses", params=params, headers=auth)
    error = error_of(response)
    if param is not None:
        assert error["param"] == param


# -- batches -------------------------------------------------------------------------------------


def batch_count(app) -> int:
    with app.state.context.db.session() as session:
        return session.scalar(select(func.count()).select_from(JobBatch))


def test_a_bad_payload_fails_alone(client, auth, app):
    body = {
        "title": "Launch",
        "video_translations": [
            payload(output_languages=["Spanish", "French"], title="two languages"),
            payload(mode="turbo"),  # refused by the request schema
            payload(video={"type": "asset_id", "asset_id": "no-such-asset"}),
            "not an object",
            payload(**{"odd\x00field": 1}),
            payload(output_languages=["French"], title="last"),
        ],
    }
    check_request(BATCH_CREATE, {**body, "video_translations": body["video_translations"][:1]})
    response = client.post("/v3/video-translations/batches", json=body, headers=auth)
    assert response.status_code == 202, response.text
    created = response.json()["data"]
    check_response(BATCH_GET, response.json())
    assert created["title"] == "Launch" and created["total_items"] == 7
    items = created["items"]
    assert [(i["item_index"], i["payload_index"]) for i in items] == [
        (0, 0),
        (1, 0),
        (2, 1),
        (3, 2),
        (4, 3),
        (5, 4),
        (6, 5),
    ]
    assert [i["status"] for i in items] == [
        "queued",
        "queued",
        "failed",
        "failed",
        "failed",
        "failed",
        "queued",
    ]
    assert items[2]["video_id"] is None and items[2]["error"]["param"] == "mode"
    # The same refusal the single create answers for an unknown asset.
    assert items[3]["error"]["param"] == "video.asset_id"
    assert items[4]["error"]["code"] == "invalid_parameter"
    assert items[5]["error"]["param"] == "oddfield"  # stored without its NUL
    assert created["counts_by_status"] == {"queued": 3, "failed": 4}
    assert created["status"] == "processing"

    # The created items are ordinary translations, made as the single create makes them.
    spanish = get(client, auth, items[0]["video_id"])
    assert spanish["title"] == "two languages" and spanish["output_language"] == "Spanish"
    assert get(client, auth, items[6]["video_id"])["title"] == "last"

    batch_id = created["batch_id"]
    again = client.get(path_for(BATCH_GET, batch_id=batch_id), headers=auth)
    assert again.status_code == 200
    check_response(BATCH_GET, again.json())
    assert again.json()["data"]["items"] == items

    page = client.get(path_for(BATCH_GET, batch_id=batch_id), params={"limit": 4}, headers=auth)
    check_response(BATCH_GET, page.json())
    assert page.json()["data"]["has_more"] is True
    rest = client.get(
        path_for(BATCH_GET, batch_id=batch_id),
        params={"limit": 4, "token": page.json()["data"]["next_token"]},
        headers=auth,
    ).json()["data"]
    assert [i["item_index"] for i in rest["items"]] == [4, 5, 6] and rest["has_more"] is False

    statuses = client.get(
        "/v3/video-translations/statuses", params={"batch_ids": batch_id}, headers=auth
    )
    check_response(STATUSES, statuses.json())
    entries = statuses.json()["data"]
    assert [(e["batch_id"], e["item_index"], e["status"]) for e in entries] == [
        (batch_id, i["item_index"], i["status"]) for i in items
    ]


def test_batch_with_idempotency_key_is_created_once(client, auth, app):
    body = {"video_translations": [payload()]}
    headers = {**auth, "Idempotency-Key": "batch-retry-1"}
    before = batch_count(app)
    first = client.post("/v3/video-translations/batches", json=body, headers=headers)
    second = client.post("/v3/video-translations/batches", json=body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["data"]["batch_id"] == second.json()["data"]["batch_id"]
    assert batch_count(app) == before + 1


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "video_translations"),
        ({"video_translations": []}, "video_translations"),
        ({"video_translations": {"video": UNREACHABLE}}, "video_translations"),
        ({"video_translations": [payload()] * 101}, "video_translations"),
        # 2 payloads x 60 languages expand past the 100 items a batch may hold
        (
            {"video_translations": [payload(output_languages=["Spanish"] * 60)] * 2},
            "video_translations",
        ),
        ({"video_translations": [payload()], "title": "x" * 501}, "title"),
        ({"video_translations": [payload()], "callback_url": 7}, "callback_url"),
        ({"video_translations": [payload()], "callback_url": "file:///etc/x"}, "callback_url"),
        ({"video_translations": [payload()], "extra": True}, "extra"),
    ],
)
def test_batch_refuses_a_bad_envelope(client, auth, app, body, param):
    before = batch_count(app)
    response = client.post("/v3/video-translations/batches", json=body, headers=auth)
    assert error_of(response)["param"] == param
    assert batch_count(app) == before


def test_missing_or_foreign_batch_is_404(client, auth, make_key):
    created = client.post(
        "/v3/video-translations/batches", json={"video_translations": [payload()]}, headers=auth
    ).json()["data"]
    other = make_key("other")
    for batch_id, headers in (("nope", auth), (created["batch_id"], other)):
        response = client.get(path_for(BATCH_GET, batch_id=batch_id), headers=headers)
        assert error_of(response, 404)["param"] == "batch_id"
    # A translation batch is not a lip-sync batch.
    response = client.get(f"/v3/lipsyncs/batches/{created['batch_id']}", headers=auth)
    assert error_of(response, 404)["code"] == "not_found"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def batch_events(app, batch_id: str) -> list[dict]:
    with app.state.context.db.session() as session:
        rows = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.entity_id == batch_id)
        ).all()
        return [row.body for row in rows]


def test_batch_webhook_goes_once_when_the_last_item_finishes(client, auth, app):
    """A job that fails (its source cannot be downloaded) fails its item alone; once no item
    is left running, the batch's callback_url gets one event."""
    from polydub.jobs.steps import run_batch_here

    gone = {"type": "url", "url": f"http://127.0.0.1:{closed_port()}/gone.mp4"}
    body = {
        "callback_url": "http://127.0.0.1:9/batch-hook",
        "video_translations": [payload(video=gone), payload(video=gone), payload(mode="x")],
    }
    created = client.post("/v3/video-translations/batches", json=body, headers=auth)
    assert created.status_code == 202, created.text
    batch = created.json()["data"]
    assert batch["callback_url"] == body["callback_url"]
    first, second = (item["video_id"] for item in batch["items"][:2])
    context = app.state.context
    with context.db.session() as session:
        internal = [session.get(Translation, i).batch_id for i in (first, second)]

    run_batch_here(context, internal[0], lambda: False)
    assert batch_events(app, batch["batch_id"]) == []  # one item still queued
    partial = client.get(path_for(BATCH_GET, batch_id=batch["batch_id"]), headers=auth).json()
    check_response(BATCH_GET, partial)
    assert [i["status"] for i in partial["data"]["items"]] == ["failed", "queued", "failed"]
    assert "could not download" in partial["data"]["items"][0]["error"]["message"]

    run_batch_here(context, internal[1], lambda: False)
    run_batch_here(context, internal[1], lambda: False)  # a redelivered task: still one event
    (event,) = batch_events(app, batch["batch_id"])
    assert event["event_type"] == "batch.finished"
    assert event["event_data"]["status"] == "failed"
    assert event["event_data"]["counts_by_status"] == {"failed": 3}
    done = client.get(path_for(BATCH_GET, batch_id=batch["batch_id"]), headers=auth).json()
    check_response(BATCH_GET, done)
    assert done["data"]["status"] == "failed"


def test_a_batch_refused_whole_sends_its_webhook_at_once(client, auth, app):
    body = {"callback_url": "http://127.0.0.1:9/hook", "video_translations": [payload(mode="x")]}
    batch = client.post("/v3/video-translations/batches", json=body, headers=auth).json()["data"]
    assert batch["status"] == "failed"
    (event,) = batch_events(app, batch["batch_id"])
    assert event["event_data"]["items"] == [{"item_index": 0, "status": "failed", "video_id": None}]


# -- a real job ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A short generated talking clip and its speech as a separate track (the dub audio),
    served over loopback HTTP; yields the base URL."""
    from polydub.media.ffmpeg import run_ffmpeg
    from polydub.samples import make_talking_clip

    root = tmp_path_factory.mktemp("served")
    make_talking_clip(root / "talk.mp4", 4.0, width=320, height=240)
    run_ffmpeg(["-i", str(root / "talk.mp4"), "-vn", "-c:a", "copy", str(root / "speech.m4a")])
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(client, url: str, media_type: str | None = None) -> bytes:
    parsed = urlparse(url)
    response = client.get(f"{parsed.path}?{parsed.query}")
    assert response.status_code == 200, response.text
    if media_type is not None:
        assert response.headers["content-type"].startswith(media_type)
    return response.content


@pytest.mark.integration
def test_a_completed_batch_job_serves_video_audio_and_captions(client, auth, app, served):
    """One real job, kept to seconds: the dub audio is given (HeyGen's `audio`: no machine
    translation or synthesis) and only the audio is dubbed (no lip sync); the rest of the
    pipeline (ingest, separation, captions from speech recognition, mix, render) runs."""
    from polydub.jobs.steps import run_batch_here
    from polydub.media.probe import probe

    body = {
        "video_translations": [
            {
                "video": {"type": "url", "url": f"{served}/talk.mp4"},
                "audio": {"type": "url", "url": f"{served}/speech.m4a"},
                "output_languages": ["Spanish"],
                "translate_audio_only": True,
                "enable_caption": True,
                "callback_id": "real-1",
            }
        ]
    }
    created = client.post("/v3/video-translations/batches", json=body, headers=auth)
    assert created.status_code == 202, created.text
    batch = created.json()["data"]
    translation_id = batch["items"][0]["video_id"]
    with app.state.context.db.session() as session:
        internal = session.get(Translation, translation_id).batch_id
    run_batch_here(app.state.context, internal, lambda: False)

    data = get(client, auth, translation_id)
    assert data["status"] == "completed", data["failure_message"]
    # The user's own dub audio: no source speech is recognised, so no language is claimed.
    assert data["input_language"] is None and data["translate_audio_only"] is True
    assert data["callback_id"] == "real-1" and data["duration"] > 0
    video = fetch(client, data["video_url"], "video/mp4")
    audio = fetch(client, data["audio_url"], "audio/mp4")
    srt = fetch(client, data["srt_caption_url"]).decode("utf-8")
    vtt = fetch(client, data["vtt_caption_url"]).decode("utf-8")
    assert video[4:8] == b"ftyp" and audio[4:8] == b"ftyp"
    assert "-->" in srt and "product" in srt.lower() and vtt.startswith("WEBVTT")
    assert data["caption_url"] == {"srt": data["srt_caption_url"], "vtt": data["vtt_caption_url"]}

    served = app.state.context.blobs.path(f"translations/{translation_id}/audio.m4a")
    info = probe(served)
    assert info.video is None and info.audio is not None
    assert abs(info.duration - data["duration"]) < 0.5  # the whole dub, not a piece

    listed = client.get("/v3/video-translations", headers=auth).json()
    check_response(LIST, listed)
    assert any(row["audio_url"] for row in listed["data"])
    done = client.get(path_for(BATCH_GET, batch_id=batch["batch_id"]), headers=auth).json()
    check_response(BATCH_GET, done)
    assert done["data"]["status"] == "completed"
    assert done["data"]["counts_by_status"] == {"completed": 1}
    statuses = client.get(
        "/v3/video-translations/statuses",
        params={"video_translation_ids": translation_id},
        headers=auth,
    ).json()
    check_response(STATUSES, statuses)
    assert statuses["data"][0]["status"] == "completed"
