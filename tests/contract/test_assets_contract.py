"""The Assets resource against HeyGen's own schemas (tests/heygen_schema.py), on SQLite and
PostgreSQL: upload, read, list with `token` paging, delete, statuses, and direct uploads
(single and batched) end to end on the local store: PUT the bytes to the signed upload URL,
complete, then dub from the asset_id. Bad input gets the error envelope. (The same flow on
S3-compatible storage, with the bucket's presigned PUT: tests/scale/test_s3_direct_uploads.py.)
"""

from __future__ import annotations

import hashlib
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from heygen_schema import check_request, check_response

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.inputs import owned_asset
from polydub.jobs.keys import create_key

SRT = b"1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n00:00:01,600 --> 00:00:03,000\nBye.\n"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    """A one-second 160x120 mp4 with sound, made by ffmpeg."""
    path = tmp_path_factory.mktemp("asset-contract") / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "1",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request, tmp_path_factory, engines):
    """The app on a fresh database of each kind (no executor: jobs are created, not run)."""
    data_dir = tmp_path_factory.mktemp("assets-contract") / "data"
    database_url, drop = None, None
    if request.param == "postgresql":
        import psycopg

        name = f"polydub_assets_{uuid.uuid4().hex[:10]}"
        try:
            admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as exc:
            pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {exc}")
        admin.execute(f'CREATE DATABASE "{name}"')
        database_url = f"postgresql://postgres@127.0.0.1:5432/{name}"

        def drop() -> None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

    settings = Settings(data_dir=data_dir, database_url=database_url, allow_private_urls=True)
    application = create_app(settings, start_executor=False)
    application.state.context.extras["engines"] = engines  # translation checks reuse them
    yield application
    application.state.context.db.engine.dispose()
    if drop is not None:
        drop()


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def auth(app) -> dict[str, str]:
    """A fresh key per test, so lists and statuses see only this test's assets."""
    with app.state.context.db.session() as session:
        _, secret = create_key(session, f"key-{uuid.uuid4().hex[:8]}")
    return {"x-api-key": secret}


@pytest.fixture
def other(app) -> dict[str, str]:
    with app.state.context.db.session() as session:
        _, secret = create_key(session, "other")
    return {"x-api-key": secret}


def _upload(client, auth, content: bytes, name: str = "clip.mp4"):
    return client.post("/v3/assets", headers=auth, files={"file": (name, content)})


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "param", "doc_url"}
    return body["error"]


def _local(app, url: str) -> str:
    """A URL the app made, as a path the in-process client can request."""
    return url.removeprefix(app.state.context.settings.public_base_url)


def _direct(client, auth, **fields):
    body = {"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": 1, **fields}
    check_request("POST /v3/assets/direct-uploads", body)
    return client.post("/v3/assets/direct-uploads", headers=auth, json=body)


def _translate(client, auth, asset_id: str):
    body = {"video": {"type": "asset_id", "asset_id": asset_id}, "output_languages": ["Spanish"]}
    return client.post("/v3/video-translations", headers=auth, json=body)


# -- POST /v3/assets, GET and DELETE /v3/assets/{asset_id} -----------------------------------


def test_upload_answers_heygen_fields_and_keeps_the_old_ones(client, auth, clip):
    response = _upload(client, auth, clip)
    assert response.status_code == 200, response.text
    check_response("POST /v3/assets", response.json())
    data = response.json()["data"]
    assert (data["mime_type"], data["size_bytes"]) == ("video/mp4", len(clip))
    assert data["type"] == "video"
    assert data["url"].startswith("http") and data["status"] == "completed"
    # Polydub's earlier names stay (tests/api/test_assets.py and existing clients read them).
    assert data["id"] == data["asset_id"]
    assert (data["content_type"], data["size"], data["file_type"], data["format"]) == (
        "video/mp4", len(clip), "video", "mp4",
    )  # fmt: skip


def test_read_and_delete_are_the_callers_own(client, app, auth, other, clip):
    asset_id = _upload(client, auth, clip).json()["data"]["asset_id"]
    read = client.get(f"/v3/assets/{asset_id}", headers=auth)
    check_response("GET /v3/assets/{asset_id}", read.json())
    data = read.json()["data"]
    assert (data["id"], data["type"], data["folder_id"]) == (asset_id, "video", None)
    assert data["owner"].startswith("key-") and data["space_id"]
    assert client.get(_local(app, data["url"])).content == clip

    assert _error(client.get(f"/v3/assets/{asset_id}", headers=other), 404)["code"] == "not_found"
    assert _error(client.delete(f"/v3/assets/{asset_id}", headers=other), 404)["param"] == (
        "asset_id"
    )
    deleted = client.delete(f"/v3/assets/{asset_id}", headers=auth)
    check_response("DELETE /v3/assets/{asset_id}", deleted.json())
    assert deleted.json()["data"] == {"id": asset_id, "deleted": True}
    _error(client.get(f"/v3/assets/{asset_id}", headers=auth), 404)
    _error(client.delete(f"/v3/assets/{asset_id}", headers=auth), 404)
    assert client.get(_local(app, data["url"])).status_code == 404


def test_upload_refuses_what_is_not_media(client, auth):
    error = _error(_upload(client, auth, b"%PDF-1.7\n" + b"x" * 200, "doc.pdf"), 400)
    assert (error["code"], error["param"]) == ("invalid_parameter", "file")
    error = _error(client.post("/v3/assets", headers=auth, json={"file": "x"}), 400)
    assert error["param"] == "file"


# -- GET /v3/assets and GET /v3/assets/statuses -----------------------------------------------


def test_list_pages_with_token_newest_first(client, auth, other):
    ids = []
    for n in range(3):
        cue = SRT.replace(b"Bye.", f"Bye {n}.".encode())
        ids.append(_upload(client, auth, cue, f"subs{n}.srt").json()["data"]["asset_id"])
        time.sleep(0.01)  # distinct upload times
    _upload(client, other, SRT, "theirs.srt")

    first = client.get("/v3/assets", headers=auth, params={"limit": 2})
    check_response("GET /v3/assets", first.json())
    assert first.json()["has_more"] is True and first.json()["next_token"]
    second = client.get(
        "/v3/assets", headers=auth, params={"limit": 2, "token": first.json()["next_token"]}
    )
    check_response("GET /v3/assets", second.json())
    assert second.json()["has_more"] is False and second.json()["next_token"] is None
    listed = [item["id"] for page in (first, second) for item in page.json()["data"]]
    assert listed == ids[::-1]
    # HeyGen's folder filter: no asset is in a folder; '' means the root, where all are.
    assert client.get("/v3/assets", headers=auth, params={"folder_id": "f1"}).json()["data"] == []
    assert len(client.get("/v3/assets", headers=auth, params={"folder_id": ""}).json()["data"]) == 3


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"token": "not-a-token"}]
)
def test_list_refuses_bad_paging(client, auth, params):
    assert _error(client.get("/v3/assets", headers=auth, params=params), 400)["code"] == (
        "invalid_parameter"
    )


def test_statuses_of_assets_and_unknown_ids(client, auth, other):
    mine = _upload(client, auth, SRT, "a.srt").json()["data"]["asset_id"]
    theirs = _upload(client, other, SRT, "b.srt").json()["data"]["asset_id"]
    pending = _direct(client, auth, size_bytes=100).json()["data"]["asset_id"]
    response = client.get(
        "/v3/assets/statuses",
        headers=auth,
        params={"asset_ids": f"{mine},{theirs},nope,{pending}"},
    )
    check_response("GET /v3/assets/statuses", response.json())
    statuses = {e["video_id"]: e["status"] for e in response.json()["data"]}
    assert statuses == {mine: "completed", theirs: "not_found", "nope": "not_found",
                        pending: "queued"}  # fmt: skip

    _error(client.get("/v3/assets/statuses", headers=auth), 400)
    many = ",".join(f"id{n}" for n in range(101))
    _error(client.get("/v3/assets/statuses", headers=auth, params={"asset_ids": many}), 400)
    _error(client.get("/v3/assets/statuses", headers=auth, params={"asset_ids": "x" * 256}), 400)


# -- direct uploads, one file ------------------------------------------------------------------


def test_direct_upload_end_to_end_then_dub_from_it(client, app, auth, other, clip):
    digest = hashlib.sha256(clip).hexdigest()
    created = _direct(client, auth, size_bytes=len(clip), checksum_sha256=digest)
    assert created.status_code == 200, created.text
    check_response("POST /v3/assets/direct-uploads", created.json())
    slot = created.json()["data"]
    asset_id = slot["asset_id"]
    assert (slot["status"], slot["max_bytes"]) == ("pending_upload", len(clip))
    assert slot["upload_headers"] == {"Content-Type": "video/mp4"}

    # Pending: readable, listed, but not an input yet, and not completable before the PUT.
    pending = client.get(f"/v3/assets/{asset_id}", headers=auth)
    check_response("GET /v3/assets/{asset_id}", pending.json())
    assert (pending.json()["data"]["status"], pending.json()["data"]["url"]) == (
        "pending_upload", None,
    )  # fmt: skip
    refused = _error(_translate(client, auth, asset_id), 409)
    assert (refused["code"], refused["param"]) == ("resource_not_ready", "video.asset_id")
    assert "complete" in refused["message"]
    early = _error(client.post(f"/v3/assets/{asset_id}/complete", headers=auth), 409)
    assert early["code"] == "resource_not_ready" and "PUT" in early["message"]

    put = client.put(_local(app, slot["upload_url"]), content=clip, headers=slot["upload_headers"])
    assert put.status_code == 200, put.text
    _error(client.post(f"/v3/assets/{asset_id}/complete", headers=other), 404)
    check_request("POST /v3/assets/{asset_id}/complete", {"checksum_sha256": digest})
    done = client.post(
        f"/v3/assets/{asset_id}/complete", headers=auth, json={"checksum_sha256": digest}
    )
    assert done.status_code == 200, done.text
    check_response("POST /v3/assets/{asset_id}/complete", done.json())
    data = done.json()["data"]
    assert (data["asset_id"], data["mime_type"], data["size_bytes"], data["status"]) == (
        asset_id, "video/mp4", len(clip), "completed",
    )  # fmt: skip
    assert client.get(_local(app, data["url"])).content == clip
    again = client.post(f"/v3/assets/{asset_id}/complete", headers=auth)
    assert again.json()["data"]["asset_id"] == asset_id  # idempotent

    dubbed = _translate(client, auth, asset_id)
    assert dubbed.status_code == 200, dubbed.text
    assert len(dubbed.json()["data"]["video_translation_ids"]) == 1
    assert _error(_translate(client, other, asset_id), 400)["param"] == "video.asset_id"
    # The upload URL takes no second file.
    assert client.put(_local(app, slot["upload_url"]), content=clip).status_code == 409


def test_a_sibling_container_is_stored_by_its_content(client, app, auth, clip):
    # Declared audio/mp4, but the bytes are an mp4 with video: one family, so accepted, and
    # named and typed by what it is.
    slot = _direct(client, auth, content_type="audio/mp4", size_bytes=len(clip)).json()["data"]
    assert client.put(_local(app, slot["upload_url"]), content=clip).status_code == 200
    data = client.post(f"/v3/assets/{slot['asset_id']}/complete", headers=auth).json()["data"]
    assert data["mime_type"] == "video/mp4"
    read = client.get(f"/v3/assets/{slot['asset_id']}", headers=auth).json()["data"]
    assert (read["type"], read["format"]) == ("video", "mp4")
    assert app.state.context.blobs.exists(f"assets/{slot['asset_id']}/content.mp4")
    assert not app.state.context.blobs.exists(f"assets/{slot['asset_id']}/content.m4a")


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"content_type": "application/pdf"}, "content_type"),
        ({"size_bytes": 3 * 1024**3}, "size_bytes"),  # over max_upload_bytes (2 GiB)
        ({"size_bytes": 0}, "size_bytes"),
        ({"size_bytes": "10"}, "size_bytes"),
        ({"size_bytes": 10.5}, "size_bytes"),
        ({"size_bytes": True}, "size_bytes"),
        ({"filename": ""}, "filename"),
        ({"filename": "a" * 256}, "filename"),
        ({"content_type": "video/" + "x" * 100}, "content_type"),
        ({"checksum_sha256": "abc"}, "checksum_sha256"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_direct_upload_refuses_bad_declarations(client, auth, fields, param):
    body = {"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": 10, **fields}
    response = client.post("/v3/assets/direct-uploads", headers=auth, json=body)
    error = _error(response, 400)
    assert (error["code"], error["param"]) == ("invalid_parameter", param)


def test_the_upload_url_streams_under_the_declared_size_and_sniffs(client, app, auth, clip):
    slot = _direct(client, auth, size_bytes=len(clip)).json()["data"]
    url = _local(app, slot["upload_url"])
    # Over the declared size: refused from Content-Length, and while streaming without it.
    assert _error(client.put(url, content=clip + b"x"), 413)["param"] == "file"

    def chunks():
        yield clip
        yield b"more than declared"

    assert _error(client.put(url, content=chunks()), 413)["param"] == "file"
    assert _error(client.put(url, content=clip[:-1]), 400)["param"] == "file"  # short
    # Bytes that are not what was declared: sniffed and refused, nothing stored.
    wrong = SRT + b"\n" * (len(clip) - len(SRT))
    assert "declared" in _error(client.put(url, content=wrong), 400)["message"]
    garbage = b"\x00" * len(clip)
    assert _error(client.put(url, content=garbage), 400)["param"] == "file"
    assert not list((app.state.context.settings.data_dir / "uploads").iterdir())
    read = client.get(f"/v3/assets/{slot['asset_id']}", headers=auth).json()["data"]
    assert read["status"] == "pending_upload"  # the client may still PUT the right file

    # The signature is the grant: another asset's, a changed one or an expired one fail.
    query = parse_qs(urlsplit(url).query)
    path = urlsplit(url).path
    forged = f"{path}?expires={query['expires'][0]}&signature={'0' * 64}"
    assert _error(client.put(forged, content=clip), 403)["code"] == "forbidden"
    expired = f"{path}?expires={int(time.time()) - 1}&signature={query['signature'][0]}"
    assert _error(client.put(expired, content=clip), 403)["code"] == "forbidden"
    assert _error(client.put(path, content=clip), 400)["param"] == "expires"
    assert client.put(url, content=clip).status_code == 200


def test_a_checksum_mismatch_fails_the_asset_for_good(client, app, auth, clip):
    slot = _direct(client, auth, size_bytes=len(clip)).json()["data"]
    client.put(_local(app, slot["upload_url"]), content=clip)
    complete = f"/v3/assets/{slot['asset_id']}/complete"
    error = _error(client.post(complete, headers=auth, json={"checksum_sha256": "0" * 64}), 400)
    assert (error["param"], "SHA-256" in error["message"]) == ("file", True)
    assert _error(client.post(complete, headers=auth), 400)["message"] == error["message"]
    read = client.get(f"/v3/assets/{slot['asset_id']}", headers=auth)
    check_response("GET /v3/assets/{asset_id}", read.json())
    assert read.json()["data"]["status"] == "failed"
    assert not app.state.context.blobs.exists(f"assets/{slot['asset_id']}/content.mp4")
    refused = _error(_translate(client, auth, slot["asset_id"]), 409)
    assert "cannot be used" in refused["message"]
    bad_body = client.post(complete, headers=auth, json={"checksum_sha256": 5})
    assert _error(bad_body, 400)["param"] == "checksum_sha256"


def test_completing_unknown_or_never_uploaded_assets(client, auth):
    _error(client.post("/v3/assets/nope/complete", headers=auth), 404)
    asset_id = _direct(client, auth, size_bytes=100).json()["data"]["asset_id"]
    error = _error(client.post(f"/v3/assets/{asset_id}/complete", headers=auth), 409)
    assert (error["code"], error["param"]) == ("resource_not_ready", "asset_id")
    # Still pending (it can be uploaded later) and deletable.
    assert client.get(f"/v3/assets/{asset_id}", headers=auth).json()["data"]["status"] == (
        "pending_upload"
    )
    assert client.delete(f"/v3/assets/{asset_id}", headers=auth).status_code == 200


def test_a_worker_refuses_a_pending_asset_too(app, client, auth):
    from polydub.errors import NotReadyError
    from polydub.jobs.keys import find_key

    asset_id = _direct(client, auth, size_bytes=100).json()["data"]["asset_id"]
    with app.state.context.db.session() as session:
        owner = find_key(session, auth["x-api-key"]).id
    with pytest.raises(NotReadyError) as refused:
        owned_asset(app.state.context, owner, asset_id, "video")
    assert refused.value.param == "video.asset_id"


# -- direct uploads in batches -----------------------------------------------------------------


def _batch(client, auth, files, **fields):
    body = {"files": files, **fields}
    check_request("POST /v3/assets/direct-uploads/batches", body)
    return client.post("/v3/assets/direct-uploads/batches", headers=auth, json=body)


def test_batch_items_fail_alone(client, app, auth, other, clip):
    files = [
        {"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": len(clip)},
        {"filename": "subs.srt", "content_type": "application/x-subrip", "size_bytes": len(SRT)},
        {"filename": "deck.pdf", "content_type": "application/pdf", "size_bytes": 10},
        {"filename": "late.srt", "content_type": "text/srt", "size_bytes": len(SRT)},
    ]
    created = _batch(client, auth, files, title="Launch")
    assert created.status_code == 200, created.text
    check_response("POST /v3/assets/direct-uploads/batches", created.json())
    batch_id, items = created.json()["data"]["batch_id"], created.json()["data"]["items"]
    assert [item["status"] for item in items] == ["pending_upload", "pending_upload", "failed",
                                                  "pending_upload"]  # fmt: skip
    assert items[2]["error"]["message"].startswith("files.2.content_type")

    for item, content in ((items[0], clip), (items[1], SRT)):
        put = client.put(_local(app, item["upload_url"]), content=content)
        assert put.status_code == 200, put.text
    # items[3] is never uploaded.
    check_request("POST /v3/assets/complete/batches", {"batch_id": batch_id})
    _error(client.post("/v3/assets/complete/batches", headers=other, json={"batch_id": batch_id}),
           404)  # fmt: skip
    accepted = client.post("/v3/assets/complete/batches", headers=auth, json={"batch_id": batch_id})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["data"]["batch_id"] == batch_id

    read = client.get(f"/v3/assets/batches/{batch_id}", headers=auth)
    check_response("GET /v3/assets/batches/{batch_id}", read.json())
    batch = read.json()["data"]
    assert (batch["status"], batch["total_items"], batch["title"]) == ("completed", 4, "Launch")
    assert batch["counts_by_status"] == {"completed": 2, "failed": 2}
    assert [(i["item_index"], i["status"]) for i in batch["items"]] == [
        (0, "completed"), (1, "completed"), (2, "failed"), (3, "failed"),
    ]  # fmt: skip
    assert batch["items"][0]["video_id"] == items[0]["asset_id"]
    assert batch["items"][3]["error"]["code"] == "upload_missing"
    assert _translate(client, auth, items[0]["asset_id"]).status_code == 200

    # Completing again re-drives nothing settled; the answer says so.
    again = client.post("/v3/assets/complete/batches", headers=auth, json={"batch_id": batch_id})
    assert again.status_code == 202 and again.json()["data"]["status"] == "completed"

    statuses = client.get("/v3/assets/statuses", headers=auth, params={"batch_ids": batch_id})
    check_response("GET /v3/assets/statuses", statuses.json())
    entries = statuses.json()["data"]
    assert [(e["item_index"], e["status"], e["batch_id"]) for e in entries] == [
        (0, "completed", batch_id), (1, "completed", batch_id), (2, "failed", batch_id),
        (3, "failed", batch_id),
    ]  # fmt: skip

    page = client.get(f"/v3/assets/batches/{batch_id}", headers=auth, params={"limit": 3})
    check_response("GET /v3/assets/batches/{batch_id}", page.json())
    assert page.json()["data"]["has_more"] is True
    rest = client.get(
        f"/v3/assets/batches/{batch_id}",
        headers=auth,
        params={"limit": 3, "token": page.json()["data"]["next_token"]},
    )
    assert [i["item_index"] for i in rest.json()["data"]["items"]] == [3]
    assert rest.json()["data"]["has_more"] is False
    bad_token = {"token": "zzz"}
    _error(client.get(f"/v3/assets/batches/{batch_id}", headers=auth, params=bad_token), 400)
    _error(client.get(f"/v3/assets/batches/{batch_id}", headers=other), 404)


def test_batch_before_completion_and_with_an_idempotency_key(client, auth):
    files = [{"filename": "a.srt", "content_type": "text/vtt", "size_bytes": 10}]
    headers = {**auth, "Idempotency-Key": f"batch-{uuid.uuid4().hex}"}
    first = client.post("/v3/assets/direct-uploads/batches", headers=headers, json={"files": files})
    again = client.post("/v3/assets/direct-uploads/batches", headers=headers, json={"files": files})
    assert again.json()["data"]["batch_id"] == first.json()["data"]["batch_id"]
    read = client.get(f"/v3/assets/batches/{first.json()['data']['batch_id']}", headers=auth)
    check_response("GET /v3/assets/batches/{batch_id}", read.json())
    assert read.json()["data"]["status"] == "processing"
    assert read.json()["data"]["items"][0]["status"] == "queued"


@pytest.mark.parametrize(
    "body",
    [
        {"files": []},
        {"files": [{"filename": "a.srt", "content_type": "text/vtt", "size_bytes": 1}] * 101},
        {"files": [{"filename": "a.srt", "content_type": "text/vtt"}]},
        {"files": "a.srt"},
        {
            "files": [{"filename": "a.srt", "content_type": "text/vtt", "size_bytes": 1}],
            "title": "t" * 501,
        },
    ],  # fmt: skip
)
def test_batch_refuses_malformed_requests(client, auth, body):
    response = client.post("/v3/assets/direct-uploads/batches", headers=auth, json=body)
    assert _error(response, 400)["code"] == "invalid_parameter"


def test_unknown_batches_are_not_found(client, auth):
    _error(client.get("/v3/assets/batches/nope", headers=auth), 404)
    _error(client.post("/v3/assets/complete/batches", headers=auth, json={"batch_id": "x"}), 404)
    _error(client.post("/v3/assets/complete/batches", headers=auth, json={}), 400)


def test_every_assets_endpoint_needs_a_key(client):
    for method, path in [
        ("GET", "/v3/assets"),
        ("GET", "/v3/assets/statuses?asset_ids=a"),
        ("GET", "/v3/assets/a"),
        ("DELETE", "/v3/assets/a"),
        ("POST", "/v3/assets/direct-uploads"),
        ("POST", "/v3/assets/direct-uploads/batches"),
        ("POST", "/v3/assets/a/complete"),
        ("POST", "/v3/assets/complete/batches"),
        ("GET", "/v3/assets/batches/b"),
    ]:
        response = client.request(method, path, json={})
        assert _error(response, 401)["code"] == "authentication_failed", (method, path)


def test_upload_urls_are_not_file_urls(app):
    # A download grant must not be reusable as an upload grant, and the other way round.
    from polydub.storage.signed_urls import (
        file_signature,
        signed_upload_url,
        verify_upload_signature,
    )

    secret, expires = "s3cret", int(time.time()) + 60
    assert not verify_upload_signature(secret, "a1", expires, file_signature(secret, "a1", expires))
    url = signed_upload_url("http://h", secret, "a1", 60)
    assert Path(urlsplit(url).path).parts[-2:] == ("uploads", "a1")


def test_sizes_past_32_bits(client, auth):
    # The upload limit itself (2 GiB) is past a 32-bit integer; a refused batch item's size
    # may be anything a JSON integer holds, and still fails alone.
    at_limit = _direct(client, auth, size_bytes=2 * 1024**3)
    assert at_limit.status_code == 200, at_limit.text
    read = client.get(f"/v3/assets/{at_limit.json()['data']['asset_id']}", headers=auth)
    assert read.json()["data"]["size_bytes"] == 2 * 1024**3
    files = [{"filename": "huge.mp4", "content_type": "video/mp4", "size_bytes": 10**30}]
    created = _batch(client, auth, files)
    assert created.status_code == 200, created.text
    item = created.json()["data"]["items"][0]
    assert item["status"] == "failed" and "files.0.size_bytes" in item["error"]["message"]
