"""Services for the scale-out tests: a local S3-compatible server, a private redis-server, a
fresh PostgreSQL database, and a short talking clip served over HTTP."""

from __future__ import annotations

import uuid

import pytest
from databases import fresh_postgres_database
from file_server import serving


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    from scale_services import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3"))
    yield server
    server.stop()


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own (restartable without touching the machine's)."""
    from scale_services import RedisServer

    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture
def bucket(s3_server) -> str:
    import boto3
    from scale_services import S3_KEY_ENV

    name = f"polydub-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEY_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database, dropped afterwards."""
    with fresh_postgres_database("polydub_scale") as url:
        yield url


@pytest.fixture(scope="session")
def clip_url(tmp_path_factory):
    """A generated 4-second talking clip, served over HTTP from this test process; beside it
    `face.mp4`, a face speaking, for Lip Sync jobs (which fail on a video without a face)."""
    from polydub.samples import make_speaking_face_clip, make_talking_clip

    folder = tmp_path_factory.mktemp("served")
    make_talking_clip(folder / "talk.mp4", 4.0)
    make_speaking_face_clip(folder / "face.mp4", 4.0)

    with serving(folder) as base:
        yield f"{base}/talk.mp4"
