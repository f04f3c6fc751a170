"""An asset uploaded to an API machine lands in the object store, where workers read it."""

from __future__ import annotations

import subprocess

from fastapi.testclient import TestClient

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.storage.s3 import S3BlobStore


def test_uploaded_asset_is_stored_in_s3(s3_server, bucket, tmp_path, monkeypatch):
    from scale_services import S3_KEY_ENV

    for name, value in S3_KEY_ENV.items():
        monkeypatch.setenv(name, value)
    clip = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:d=1",
         "-f", "lavfi", "-i", "sine=frequency=300:d=1", "-c:v", "libx264", "-pix_fmt",
         "yuv420p", "-c:a", "aac", "-shortest", str(clip)],
        check=True,
    )  # fmt: skip

    def settings(machine: str) -> Settings:
        return Settings(
            data_dir=tmp_path / machine,
            cache_dir=tmp_path / machine / "cache",
            database_url=f"sqlite:///{tmp_path / 'shared.db'}",
            storage_url=f"s3://{bucket}/media",
            storage_endpoint_url=s3_server.endpoint,
        )

    app = create_app(settings("api"), start_executor=False)
    with TestClient(app) as client:
        with app.state.context.db.session() as session:
            _, secret = create_key(session, "s3")
        response = client.post(
            "/v3/assets",
            headers={"x-api-key": secret},
            files={"file": ("clip.mp4", clip.read_bytes())},
        )
    assert response.status_code == 200, response.text
    asset_id = response.json()["data"]["id"]

    # Another machine (its own data dir and cache) finds the upload in the bucket.
    from polydub.storage import open_blob_store

    worker_blobs = open_blob_store(settings("worker"))
    assert isinstance(worker_blobs, S3BlobStore)
    key = f"assets/{asset_id}/content.mp4"
    assert worker_blobs.exists(key)
    assert worker_blobs.path(key).read_bytes() == clip.read_bytes()
