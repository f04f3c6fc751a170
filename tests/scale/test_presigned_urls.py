"""With S3 storage and POLYDUB_STORAGE_PRESIGNED_URLS, output URLs point at the bucket itself:
a client downloads from the object store, not through an API machine."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch, Lipsync


def test_finished_job_links_to_its_files_in_the_bucket(s3_server, bucket, tmp_path, monkeypatch):
    from scale_services import S3_KEY_ENV

    for name, value in S3_KEY_ENV.items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        data_dir=tmp_path / "api",
        storage_url=f"s3://{bucket}/media",
        storage_endpoint_url=s3_server.endpoint,
        storage_presigned_urls=True,
        signed_url_ttl_s=600,
    )
    app = create_app(settings, start_executor=False)
    with TestClient(app) as client:
        context = app.state.context
        video = context.blobs.put_bytes("lipsyncs/done/video.mp4", b"the dubbed video")
        with context.db.session() as session:
            key, secret = create_key(session, "presign")
            batch = Batch(owner_id=key.id, kind="lipsync", request={}, status="completed")
            session.add(batch)
            session.flush()
            session.add(Lipsync(id=batch.id, owner_id=key.id, status="completed", video_key=video))
            lipsync_id = batch.id
        data = client.get(f"/v3/lipsyncs/{lipsync_id}", headers={"x-api-key": secret}).json()
    url = data["data"]["video_url"]
    assert url.startswith(s3_server.endpoint) and "Signature" in url and "Expires=" in url
    # Enforcing the signature is the bucket's part (moto's server does not check it).
    assert httpx.get(url).content == b"the dubbed video"
