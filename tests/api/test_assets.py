"""POST/GET/DELETE /v3/assets: content sniffing, decode check, size limit, owner isolation."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from polydub.api.app import create_app
from polydub.api.errors import ApiError
from polydub.api.routes.assets import _receive_upload
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.media.sniff import confirm_media, sniff_header

SRT = b"1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n00:00:01,600 --> 00:00:03,000\nBye.\n"
VTT = b"WEBVTT\n\n00:00.000 --> 00:01.500\nHello there.\n"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    """Small real files made by ffmpeg: a video with sound, audio-only mp4, wav, mp3, png,
    and an mp4 whose header parses but whose frames are garbage."""
    root = tmp_path_factory.mktemp("asset-media")
    src = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10"]
    tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000"]
    files = {name: root / name for name in ("clip.mp4", "voice.m4a", "tone.wav", "tone.mp3")}
    _ffmpeg(*src, *tone, "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", str(files["clip.mp4"]))  # fmt: skip
    _ffmpeg(*tone, "-t", "1", "-c:a", "aac", "-f", "mp4", str(files["voice.m4a"]))
    _ffmpeg(*tone, "-t", "1", str(files["tone.wav"]))
    _ffmpeg(*tone, "-t", "1", str(files["tone.mp3"]))
    files["frame.png"] = root / "frame.png"
    _ffmpeg(*src, "-frames:v", "1", str(files["frame.png"]))
    data = bytearray(files["clip.mp4"].read_bytes())
    start = data.find(b"mdat") + 8
    data[start : len(data) - 2000] = b"Z" * (len(data) - 2000 - start)  # keep the moov index
    files["corrupt.mp4"] = root / "corrupt.mp4"
    files["corrupt.mp4"].write_bytes(bytes(data))
    return files


def _upload(client, auth, name: str, content: bytes, declared: str = "video/mp4"):
    return client.post("/v3/assets", headers=auth, files={"file": (name, content, declared)})


@pytest.mark.parametrize(
    ("name", "file_type", "fmt"),
    [
        ("clip.mp4", "video", "mp4"),
        ("voice.m4a", "audio", "mp4"),  # ffmpeg's mp4 muxer writes an isom brand
        ("tone.wav", "audio", "wav"),
        ("tone.mp3", "audio", "mp3"),
        ("frame.png", "image", "png"),
    ],
)
def test_upload_media_is_identified_by_content(client, auth, media, name, file_type, fmt):
    # Every file is declared as "video.mp4" of type video/mp4: only the content may decide.
    response = _upload(client, auth, "video.mp4", media[name].read_bytes())
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["file_type"] == file_type
    assert data["format"] == fmt
    assert data["name"] == "video.mp4"
    assert data["size"] == media[name].stat().st_size
    stored = client.app.state.context.blobs.path(f"assets/{data['id']}/content.{fmt}")
    assert stored.read_bytes() == media[name].read_bytes()


@pytest.mark.parametrize(("content", "file_type"), [(SRT, "srt"), (VTT, "vtt")])
def test_upload_captions(client, auth, content, file_type):
    response = _upload(client, auth, "subs.mp4", content)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["file_type"] == file_type


@pytest.mark.parametrize(
    "content",
    [
        b"just some text pretending to be a video\n" * 20,
        b"\x00\x01\x02\x03" * 500,
        b"<html><body>not a video</body></html>",
    ],
)
def test_unrecognised_content_is_refused(client, auth, content):
    response = _upload(client, auth, "movie.mp4", content)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_parameter", "file")


def test_header_that_parses_but_does_not_decode_is_refused(client, auth, media):
    response = _upload(client, auth, "clip.mp4", media["corrupt.mp4"].read_bytes())
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"
    assert "decode" in response.json()["error"]["message"]


def test_truncated_container_is_refused(client, auth, media):
    response = _upload(client, auth, "clip.mp4", media["clip.mp4"].read_bytes()[:300])
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


def test_missing_file_field_and_wrong_encoding(client, auth):
    response = client.post("/v3/assets", headers=auth, files={"other": ("a.srt", SRT)})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"
    response = client.post("/v3/assets", headers=auth, json={"file": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


def test_upload_requires_a_key(client):
    response = client.post("/v3/assets", files={"file": ("a.srt", SRT)})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.fixture
def small_limit_client(tmp_path) -> tuple[TestClient, dict[str, str], Path]:
    settings = Settings(data_dir=tmp_path / "data", max_upload_bytes=20_000)
    app = create_app(settings, start_executor=False)
    with app.state.context.db.session() as session:
        _, secret = create_key(session, "small")
    with TestClient(app) as client:
        yield client, {"x-api-key": secret}, settings.data_dir


def test_size_limit_enforced_while_streaming(small_limit_client, media):
    client, auth, data_dir = small_limit_client
    boundary = "polydubtestboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        f"Content-Type: audio/wav\r\n\r\n"
    ).encode()

    def chunked_body():
        # No Content-Length: the limit must be enforced as the bytes arrive.
        yield head + media["tone.wav"].read_bytes()[:1000]
        for _ in range(100):
            yield b"\x00" * 4096
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/v3/assets",
        headers={**auth, "content-type": f"multipart/form-data; boundary={boundary}"},
        content=chunked_body(),
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "invalid_parameter",
        "message": "file is larger than the upload limit of 20000 bytes",
        "param": "file",
        "doc_url": None,
    }
    assert list((data_dir / "uploads").iterdir()) == []  # the partial upload is removed
    small = client.post("/v3/assets", headers=auth, files={"file": ("a.srt", SRT)})
    assert small.status_code == 200


def test_receiver_stops_reading_once_past_the_limit(tmp_path):
    # Driven through Starlette's Request with an ASGI receive that counts what was pulled:
    # the route must stop pulling body chunks as soon as the file part passes the limit.
    boundary = b"b0undary"
    head = b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="x.wav"\r\n\r\n'
    pulled = 0

    async def receive():
        nonlocal pulled
        pulled += 1
        body = head if pulled == 1 else b"\x00" * 4096
        return {"type": "http.request", "body": body, "more_body": pulled < 1000}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v3/assets",
        "headers": [(b"content-type", b"multipart/form-data; boundary=" + boundary)],
    }
    with pytest.raises(ApiError) as refused:
        asyncio.run(_receive_upload(Request(scope, receive), tmp_path / "upload.part", 20_000))
    assert refused.value.status == 413
    assert pulled <= 7  # 20,000 bytes is 5 chunks of 4,096: nothing much past the limit
    assert (tmp_path / "upload.part").stat().st_size <= 20_000


def test_declared_length_over_limit_is_refused_up_front(small_limit_client):
    client, auth, _ = small_limit_client
    response = client.post("/v3/assets", headers=auth, files={"file": ("a.wav", b"\0" * 50_000)})
    assert response.status_code == 413


def test_get_and_delete_are_owner_scoped(client, auth, make_key, media):
    asset = _upload(client, auth, "clip.mp4", media["clip.mp4"].read_bytes()).json()["data"]
    other = {"x-api-key": make_key("other")}
    assert client.get(f"/v3/assets/{asset['id']}", headers=other).status_code == 404
    assert client.delete(f"/v3/assets/{asset['id']}", headers=other).status_code == 404
    fetched = client.get(f"/v3/assets/{asset['id']}", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json()["data"]["id"] == asset["id"]
    stored = client.app.state.context.blobs.path(f"assets/{asset['id']}/content.mp4")
    assert stored.is_file()
    # The signed URL serves the file without a key, until the asset is deleted.
    download = asset["url"].removeprefix(client.app.state.context.settings.public_base_url)
    assert client.get(download).content == media["clip.mp4"].read_bytes()
    deleted = client.delete(f"/v3/assets/{asset['id']}", headers=auth)
    assert deleted.json() == {"data": {"id": asset["id"], "deleted": True}}
    assert not stored.exists()
    assert client.get(download).status_code == 404
    missing = client.get(f"/v3/assets/{asset['id']}", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "mov"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "m4a"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64\x00", "mp3"),
        (b"OggS\x00\x02", "ogg"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (SRT, "srt"),
        ("\ufeff".encode() + SRT, "srt"),
        (VTT, "vtt"),
    ],
)
def test_sniff_header_formats(head, fmt):
    sniffed = sniff_header(head)
    assert sniffed is not None and sniffed.format == fmt


@pytest.mark.parametrize(
    "head", [b"", b"RIFF\x00\x00\x00\x00XXXX", b"WEBVTTX\n", b"hello\n1\n00:00 -> 00:01\n"]
)
def test_sniff_header_refuses_lookalikes(head):
    assert sniff_header(head) is None


def test_confirm_media_corrects_kind_from_streams(media):
    sniffed = sniff_header(media["voice.m4a"].read_bytes()[:4096])
    assert sniffed.kind == "video"  # an isom-branded mp4 could hold anything
    assert confirm_media(media["voice.m4a"], sniffed).kind == "audio"
