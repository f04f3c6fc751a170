"""Signed file URLs: they work until they expire, break when anything in them changes, and
serve byte ranges of videos."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

from polydub.storage.signed_urls import signed_file_url, verify_file_signature

SECRET = "s3cret"


def test_signature_verifies_until_expiry():
    url = signed_file_url("http://h", SECRET, "translations/a/video.mp4", 60, now=1000)
    query = parse_qs(urlparse(url).query)
    expires, signature = int(query["expires"][0]), query["signature"][0]
    assert expires == 1060
    assert verify_file_signature(SECRET, "translations/a/video.mp4", expires, signature, now=1059)
    assert not verify_file_signature(
        SECRET, "translations/a/video.mp4", expires, signature, now=1061
    )


def test_tampering_breaks_the_signature():
    url = signed_file_url("http://h", SECRET, "translations/a/video.mp4", 60, now=1000)
    query = parse_qs(urlparse(url).query)
    expires, signature = int(query["expires"][0]), query["signature"][0]
    now = 1001
    assert not verify_file_signature(SECRET, "translations/b/video.mp4", expires, signature)
    assert not verify_file_signature(
        SECRET, "translations/a/video.mp4", expires + 3600, signature, now=now
    )
    assert not verify_file_signature("other", "translations/a/video.mp4", expires, signature)
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert not verify_file_signature(SECRET, "translations/a/video.mp4", expires, flipped, now=now)


def _put(app, key: str, data: bytes) -> str:
    context = app.state.context
    context.blobs.put_bytes(key, data)
    url = signed_file_url("http://testserver", context.secret, key, 60)
    return url.removeprefix("http://testserver")


def test_files_route_serves_ranges(client, app):
    data = bytes(range(256)) * 40
    path = _put(app, "translations/t1/video.mp4", data)
    whole = client.get(path)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers.get("accept-ranges") == "bytes"
    part = client.get(path, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(path, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == data[-10:]


def test_files_route_refuses_expired_and_tampered_urls(client, app):
    context = app.state.context
    context.blobs.put_bytes("translations/t2/captions.srt", b"1\n")
    expired = signed_file_url(
        "http://testserver",
        context.secret,
        "translations/t2/captions.srt",
        60,
        now=time.time() - 120,
    ).removeprefix("http://testserver")
    response = client.get(expired)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    good = _put(app, "translations/t2/captions.srt", b"1\n")
    moved = good.replace("translations/t2/", "translations/t3/")
    assert client.get(moved).status_code == 403
    assert client.get(good.split("&signature=")[0]).status_code == 400  # signature missing
    assert client.get(good).status_code == 200


def test_files_route_refuses_keys_outside_the_store(client, app):
    context = app.state.context
    url = signed_file_url("http://testserver", context.secret, "../signing.secret", 60)
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code in (403, 404)
    assert context.secret.encode() not in response.content
