"""Direct uploads on S3-compatible storage (moto's server): with presigned URLs on, the bytes
go straight to the bucket and completion verifies the object there; without, Polydub's own
signed upload URL streams them into the bucket. Answers are held against HeyGen's schemas."""

from __future__ import annotations

import base64
import hashlib
import subprocess

import httpx
import pytest
from fastapi.testclient import TestClient
from heygen_schema import check_response

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key

SRT = b"1\n00:00:00,000 --> 00:00:01,500\nHello there.\n"


@pytest.fixture
def clip(tmp_path) -> bytes:
    path = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:d=1",
         "-f", "lavfi", "-i", "sine=frequency=300:d=1", "-c:v", "libx264", "-pix_fmt",
         "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def _s3_app(s3_server, bucket, tmp_path, monkeypatch, *, presigned: bool):
    from scale_services import S3_KEY_ENV

    for name, value in S3_KEY_ENV.items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        data_dir=tmp_path / "api",
        storage_url=f"s3://{bucket}/media",
        storage_endpoint_url=s3_server.endpoint,
        storage_presigned_urls=presigned,
        allow_private_urls=True,
    )
    app = create_app(settings, start_executor=False)
    with app.state.context.db.session() as session:
        _, secret = create_key(session, "s3")
    return app, {"x-api-key": secret}


def test_presigned_put_straight_to_the_bucket(
    s3_server, bucket, tmp_path, monkeypatch, clip, engines
):
    app, auth = _s3_app(s3_server, bucket, tmp_path, monkeypatch, presigned=True)
    app.state.context.extras["engines"] = engines  # the translation's checks reuse them
    digest = hashlib.sha256(clip).hexdigest()
    files = [
        {"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": len(clip),
         "checksum_sha256": digest},
        {"filename": "fake.mp4", "content_type": "video/mp4", "size_bytes": len(SRT)},
    ]  # fmt: skip
    with TestClient(app) as client:
        created = client.post(
            "/v3/assets/direct-uploads/batches", headers=auth, json={"files": files}
        )
        assert created.status_code == 200, created.text
        check_response("POST /v3/assets/direct-uploads/batches", created.json())
        good, fake = created.json()["data"]["items"]
        assert good["upload_url"].startswith(s3_server.endpoint)
        checksum_b64 = base64.b64encode(bytes.fromhex(digest)).decode()
        assert good["upload_headers"] == {
            "Content-Type": "video/mp4",
            "x-amz-checksum-sha256": checksum_b64,
        }
        # Straight to the bucket, no API key, nothing through Polydub. The fake one's bytes
        # reach the bucket unsniffed: completion is where they are caught.
        assert httpx.put(
            good["upload_url"], content=clip, headers=good["upload_headers"]
        ).is_success
        assert httpx.put(fake["upload_url"], content=SRT, headers=fake["upload_headers"]).is_success
        batch_id = created.json()["data"]["batch_id"]
        accepted = client.post(
            "/v3/assets/complete/batches", headers=auth, json={"batch_id": batch_id}
        )
        assert accepted.status_code == 202
        batch = client.get(f"/v3/assets/batches/{batch_id}", headers=auth).json()
        check_response("GET /v3/assets/batches/{batch_id}", batch)
        assert [i["status"] for i in batch["data"]["items"]] == ["completed", "failed"]
        assert "declared video/mp4" in batch["data"]["items"][1]["error"]["message"]
        blobs = app.state.context.blobs
        assert not blobs.exists(f"assets/{fake['asset_id']}/content.mp4")  # removed

        read = client.get(f"/v3/assets/{good['asset_id']}", headers=auth).json()["data"]
        assert read["url"].startswith(s3_server.endpoint)  # the bucket's presigned GET
        assert httpx.get(read["url"]).content == clip
        video = {"type": "asset_id", "asset_id": good["asset_id"]}
        body = {"video": video, "output_languages": ["Spanish"]}
        dubbed = client.post("/v3/video-translations", headers=auth, json=body)
        assert dubbed.status_code == 200, dubbed.text


def test_signed_upload_url_streams_into_the_bucket(s3_server, bucket, tmp_path, monkeypatch, clip):
    app, auth = _s3_app(s3_server, bucket, tmp_path, monkeypatch, presigned=False)
    body = {"filename": "clip.mp4", "content_type": "video/mp4", "size_bytes": len(clip)}
    with TestClient(app) as client:
        slot = client.post("/v3/assets/direct-uploads", headers=auth, json=body).json()["data"]
        base = app.state.context.settings.public_base_url
        assert slot["upload_url"].startswith(base + "/v3/uploads/")
        put = client.put(slot["upload_url"].removeprefix(base), content=clip)
        assert put.status_code == 200, put.text
        done = client.post(f"/v3/assets/{slot['asset_id']}/complete", headers=auth)
        assert done.status_code == 200, done.text
        check_response("POST /v3/assets/{asset_id}/complete", done.json())
    key = f"assets/{slot['asset_id']}/content.mp4"
    from polydub.storage import open_blob_store

    worker = open_blob_store(app.state.context.settings.model_copy(
        update={"data_dir": tmp_path / "worker"}))  # fmt: skip
    assert worker.path(key).read_bytes() == clip  # in the bucket, for any machine
