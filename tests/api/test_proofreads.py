"""Proofread routes: the create schema, isolation between keys, the SRT round trip (download,
edit, upload, mapped back onto lines), bad uploads and generate.

No executor runs here: a completed proofread is made by calling the task's own `store_script`
with a translated script, as the proofread task does after the translate stage.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest

from polydub.domain.transcript import Segment
from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.models import Batch, Proofread, Translation
from polydub.jobs.proofread_scripts import store_script, translation_edits
from polydub.pipeline.artifacts import TranslationArtifact
from polydub.pipeline.srt_script import parse_numbered_srt

LINES = [
    (0.6, 2.4, "Welcome to the product.", "Bienvenidos al producto."),
    (3.0, 4.8, "Today three features.", "Hoy tres funciones."),
    (5.2, 6.9, "Thank you for watching.", "Gracias por mirar."),
]


@pytest.fixture(autouse=True)
def loaded_engines(app, engines):
    """One EngineSet for the session: language checks need the TTS engines, loaded once."""
    app.state.context.extras["engines"] = engines


@pytest.fixture
def file_server(tmp_path):
    """A loopback HTTP server for files the API fetches by URL; returns (dir, base URL)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def create_body(**overrides) -> dict:
    body = {
        "video": {"type": "url", "url": "http://127.0.0.1:9/clip.mp4"},
        "output_languages": ["Spanish"],
        "title": "Review before publishing",
    }
    return body | overrides


def create(client, auth, **overrides) -> list[str]:
    response = client.post(
        "/v3/video-translations/proofreads", headers=auth, json=create_body(**overrides)
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["status"] == "processing"
    return data["proofread_ids"]


def complete(client, proofread_id: str) -> None:
    """Finish a proofread the way its task does: store the translated script."""
    segments = [
        Segment(index=i, start=a, end=b, text=text, translation=tr)
        for i, (a, b, text, tr) in enumerate(LINES)
    ]
    translated = TranslationArtifact(
        source_language="en", target_language="es", engine="test", segments=segments
    )
    store_script(client.app.state.context, proofread_id, translated)


def fetch_signed(client, url: str) -> str:
    parsed = urlparse(url)
    response = client.get(f"{parsed.path}?{parsed.query}")
    assert response.status_code == 200, response.text
    return response.content.decode("utf-8")


def test_create_makes_one_processing_proofread_per_language(client, auth):
    ids = create(client, auth, output_languages=["Spanish", "French", "spanish"])
    assert len(ids) == 2  # a language named twice is one proofread
    with client.app.state.context.db.session() as session:
        rows = [session.get(Proofread, i) for i in ids]
        batch = session.get(Batch, rows[0].batch_id)
    assert {r.output_code for r in rows} == {"es", "fr"}
    assert {r.status for r in rows} == {"processing"}
    assert batch.kind == "proofread" and stored_spec(batch.kind, batch.request).kind == "proofread"
    got = client.get(f"/v3/video-translations/proofreads/{ids[0]}", headers=auth).json()["data"]
    assert got["status"] == "processing" and got["title"] == "Review before publishing"
    assert got["output_language"] in ("Spanish", "French") and isinstance(got["created_at"], int)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (create_body(colour="red"), "colour"),
        ({k: v for k, v in create_body().items() if k != "title"}, "title"),
        (create_body(output_languages=[]), "output_languages"),
        (create_body(output_languages=["Klingon"]), "output_languages"),
        (create_body(video={"type": "file", "url": "x"}), "video"),
        (create_body(video={"type": "url", "url": "x", "extra": 1}), "video.url.extra"),
        (create_body(mode="fastest"), "mode"),
        (create_body(srt={"type": "asset_id", "asset_id": "nope"}), "srt.asset_id"),
    ],
)
def test_create_refuses_bad_requests(client, auth, body, param):
    response = client.post("/v3/video-translations/proofreads", headers=auth, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["param"] is not None and error["param"].startswith(param.split(".")[0])
    if param in ("colour", "title", "output_languages", "srt.asset_id"):
        assert error["param"] == param


def test_another_key_sees_nothing(client, auth, make_key, file_server):
    (proofread_id,) = create(client, auth)
    complete(client, proofread_id)
    other = {"x-api-key": make_key("other")}
    base = f"/v3/video-translations/proofreads/{proofread_id}"
    root, url = file_server
    (root / "e.srt").write_text("1\n00:00:00,600 --> 00:00:02,400\nHola.\n")
    for method, path, body in [
        ("GET", base, None),
        ("GET", base + "/srt", None),
        ("PUT", base + "/srt", {"srt": {"type": "url", "url": f"{url}/e.srt"}}),
        ("POST", base + "/generate", {"captions": True}),
    ]:
        response = client.request(method, path, headers=other, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    assert client.get(base, headers=auth).status_code == 200
    assert translation_edits(client.app.state.context, proofread_id) == {}


def test_unknown_proofread_and_missing_key(client, auth):
    assert client.get("/v3/video-translations/proofreads/nope", headers=auth).status_code == 404
    response = client.get("/v3/video-translations/proofreads/nope")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_srt_is_refused_until_completed(client, auth):
    (proofread_id,) = create(client, auth)
    base = f"/v3/video-translations/proofreads/{proofread_id}"
    for method, path, body in [("GET", base + "/srt", None), ("POST", base + "/generate", {})]:
        response = client.request(method, path, headers=auth, json=body)
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "proofread_id"


def test_srt_round_trip_maps_the_edited_line(client, auth, file_server):
    (proofread_id,) = create(client, auth)
    complete(client, proofread_id)
    base = f"/v3/video-translations/proofreads/{proofread_id}"
    got = client.get(base, headers=auth).json()["data"]
    assert got["status"] == "completed"
    srt_text = fetch_signed(
        client, client.get(base + "/srt", headers=auth).json()["data"]["srt_url"]
    )
    cues = parse_numbered_srt(srt_text)
    # One cue per line, numbered index + 1, on the SOURCE times.
    assert [(c.number, c.start, c.end, c.text) for c in cues] == [
        (i + 1, a, b, tr) for i, (a, b, _, tr) in enumerate(LINES)
    ]
    edited = srt_text.replace("Hoy tres funciones.", "Hoy le muestro tres funciones.")
    root, url = file_server
    (root / "edited.srt").write_text(edited, encoding="utf-8")
    response = client.put(
        base + "/srt", headers=auth, json={"srt": {"type": "url", "url": f"{url}/edited.srt"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["edited_segments"] == 1
    assert translation_edits(client.app.state.context, proofread_id) == {
        1: "Hoy le muestro tres funciones."
    }
    # The download now serves the edited file.
    again = fetch_signed(client, client.get(base + "/srt", headers=auth).json()["data"]["srt_url"])
    assert "Hoy le muestro tres funciones." in again


def test_renumbered_cues_map_back_by_time(client, auth, file_server):
    (proofread_id,) = create(client, auth)
    complete(client, proofread_id)
    # An editor renumbered from 10 and dropped the first cue: numbers mean nothing here.
    srt_text = (
        "10\n00:00:03,100 --> 00:00:04,700\nHoy, tres funciones nuevas.\n\n"
        "11\n00:00:05,200 --> 00:00:06,900\nGracias por mirar.\n"
    )
    root, url = file_server
    (root / "renumbered.srt").write_text(srt_text)
    response = client.put(
        f"/v3/video-translations/proofreads/{proofread_id}/srt",
        headers=auth,
        json={"srt": {"type": "url", "url": f"{url}/renumbered.srt"}},
    )
    assert response.status_code == 200, response.text
    assert translation_edits(client.app.state.context, proofread_id) == {
        1: "Hoy, tres funciones nuevas."
    }


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a subtitle file at all\n",
        b"1\n00:00:01,000 --> 00:00:02,000\n\n",  # a cue with no text
        b"\xff\xfe\x00b\x00a\x00d",  # not UTF-8
    ],
)
def test_bad_srt_upload_is_refused(client, auth, file_server, content):
    (proofread_id,) = create(client, auth)
    complete(client, proofread_id)
    root, url = file_server
    (root / "bad.srt").write_bytes(content)
    response = client.put(
        f"/v3/video-translations/proofreads/{proofread_id}/srt",
        headers=auth,
        json={"srt": {"type": "url", "url": f"{url}/bad.srt"}},
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter" and error["param"] == "srt"
    assert translation_edits(client.app.state.context, proofread_id) == {}


def test_upload_body_is_checked(client, auth):
    (proofread_id,) = create(client, auth)
    complete(client, proofread_id)
    path = f"/v3/video-translations/proofreads/{proofread_id}/srt"
    response = client.put(path, headers=auth, json={"srt": {"type": "url"}})
    assert response.status_code == 400 and response.json()["error"]["param"].startswith("srt")
    response = client.put(path, headers=auth, json={"file": "x"})
    assert response.status_code == 400


def test_generate_creates_a_translation_of_the_proofread(client, auth):
    (proofread_id,) = create(client, auth, enable_video_stretching=True, folder_id="f1")
    complete(client, proofread_id)
    response = client.post(
        f"/v3/video-translations/proofreads/{proofread_id}/generate",
        headers=auth,
        json={"captions": True},
    )
    assert response.status_code == 200, response.text
    translation_id = response.json()["data"]["video_translation_id"]
    with client.app.state.context.db.session() as session:
        row = session.get(Translation, translation_id)
        batch = session.get(Batch, row.batch_id)
    assert row.proofread_id == proofread_id and row.output_code == "es"
    assert row.status == "pending" and row.folder_id == "f1"
    assert batch.kind == "translation"
    spec = stored_spec(batch.kind, batch.request)
    assert spec.kind == "translation" and spec.proofread_id == proofread_id
    assert spec.embed_captions is True and spec.dynamic_duration is True
    got = client.get(f"/v3/video-translations/{translation_id}", headers=auth)
    assert got.status_code == 200 and got.json()["data"]["status"] == "pending"
    bad = client.post(
        f"/v3/video-translations/proofreads/{proofread_id}/generate",
        headers=auth,
        json={"captions": "maybe"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "captions"
