"""The S3 blob store against a real S3-compatible server (moto's server mode, started here)."""

from __future__ import annotations

import pytest

from polydub.config import Settings
from polydub.storage import open_blob_store
from polydub.storage.local import LocalBlobStore
from polydub.storage.s3 import S3BlobStore, ensure_bucket, parse_s3_url


@pytest.fixture
def store(s3_server, tmp_path, monkeypatch):
    from scale_services import S3_KEY_ENV

    for name, value in S3_KEY_ENV.items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        storage_url=f"s3://bucket-{tmp_path.name.lower().replace('_', '-')[:40]}/media",
        storage_endpoint_url=s3_server.endpoint,
        blob_cache_bytes=10_000,
    )
    blobs = open_blob_store(settings)
    assert isinstance(blobs, S3BlobStore)
    ensure_bucket(blobs)
    return blobs


def test_parse_s3_url():
    assert parse_s3_url("s3://media").prefix == ""
    location = parse_s3_url("s3://media/polydub/prod/")
    assert (location.bucket, location.prefix) == ("media", "polydub/prod/")
    with pytest.raises(ValueError):
        parse_s3_url("/var/lib/polydub")


def test_default_store_is_a_local_directory(tmp_path):
    blobs = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(blobs, LocalBlobStore) and blobs.root == tmp_path / "blobs"


def test_put_read_and_delete_round_trip(store, tmp_path):
    source = tmp_path / "video.mp4"
    source.write_bytes(b"\x00video" * 100)
    assert store.put_file("translations/t1/video.mp4", source) == "translations/t1/video.mp4"
    store.put_bytes("translations/t1/captions.srt", b"1\n00:00:00,000 --> 00:00:01,000\nHola\n")
    store.put_bytes("translations/t10/captions.srt", b"another job")

    assert store.exists("translations/t1/video.mp4")
    local = store.path("translations/t1/video.mp4")
    assert local.read_bytes() == source.read_bytes()
    assert sorted(store.keys("translations/t1")) == [
        "translations/t1/captions.srt",
        "translations/t1/video.mp4",
    ]

    store.delete_prefix("translations/t1")
    assert not store.exists("translations/t1/video.mp4")
    assert not store.path("translations/t1/captions.srt").exists()  # cache dropped too
    assert store.exists("translations/t10/captions.srt")  # a sibling prefix is untouched


def test_move_file_stores_and_takes_the_upload(store, tmp_path):
    upload = tmp_path / "upload.part"
    upload.write_bytes(b"uploaded video")
    store.move_file("assets/a1/content.mp4", upload)
    assert not upload.exists()
    assert store.path("assets/a1/content.mp4").read_bytes() == b"uploaded video"


def test_missing_blob_reads_as_a_missing_file(store):
    assert not store.exists("nothing/here")
    assert not store.path("nothing/here").is_file()


def test_rewritten_blob_is_not_served_from_the_cache(store):
    store.put_bytes("proofreads/p1/edits.json", b"{}")
    assert store.path("proofreads/p1/edits.json").read_bytes() == b"{}"
    store.put_bytes("proofreads/p1/edits.json", b'{"3": "Hola"}')
    assert store.path("proofreads/p1/edits.json").read_bytes() == b'{"3": "Hola"}'


def test_a_blob_rewritten_by_another_machine_is_read_afresh(store, tmp_path):
    other_machine = S3BlobStore(
        f"s3://{store.location.bucket}/media",
        tmp_path / "other-cache",
        endpoint_url=store.client.meta.endpoint_url,
    )
    store.put_bytes("proofreads/p2/edits.json", b"{}")
    assert store.path("proofreads/p2/edits.json").read_bytes() == b"{}"
    other_machine.put_bytes("proofreads/p2/edits.json", b'{"1": "Bonjour"}')
    assert store.path("proofreads/p2/edits.json").read_bytes() == b'{"1": "Bonjour"}'
    other_machine.delete_prefix("proofreads/p2")
    assert not store.path("proofreads/p2/edits.json").exists()


def test_local_cache_stays_under_its_bound(store):
    for index in range(8):
        store.put_bytes(f"assets/a{index}/content.bin", bytes([index]) * 3000)
    for index in range(8):
        assert store.path(f"assets/a{index}/content.bin").read_bytes() == bytes([index]) * 3000
    cached = [f for f in store.cache_root.rglob("*") if f.is_file() and f.suffix != ".etag"]
    assert sum(f.stat().st_size for f in cached) <= 10_000
    assert store.cache_path("assets/a7/content.bin").is_file()  # the newest is kept


@pytest.mark.parametrize("key", ["../escape", "/absolute", "a/../../b", ""])
def test_keys_cannot_escape_the_prefix(store, key):
    with pytest.raises(ValueError):
        store.path(key)
