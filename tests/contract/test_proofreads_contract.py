"""/v3/video-translations/proofreads against HeyGen's own schemas (SQLite and PostgreSQL):
create, get, SRT download and upload, generate (with callback_url, callback_id and
translate_audio_only honoured by the translation it creates).

A proofread is completed the way its job does it, by storing the translated script
(jobs/proofread_scripts.store_script), as tests/api/test_proofreads.py does.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from heygen_schema import check_request, check_response, path_for

from polydub.domain.transcript import Segment
from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.models import Batch, Translation
from polydub.jobs.proofread_scripts import store_script
from polydub.pipeline.artifacts import TranslationArtifact

CREATE = "POST /v3/video-translations/proofreads"
GET = "GET /v3/video-translations/proofreads/{proofread_id}"
SRT_GET = "GET /v3/video-translations/proofreads/{proofread_id}/srt"
SRT_PUT = "PUT /v3/video-translations/proofreads/{proofread_id}/srt"
GENERATE = "POST /v3/video-translations/proofreads/{proofread_id}/generate"
TRANSLATION = "GET /v3/video-translations/{video_translation_id}"

LINES = [(0.6, 2.4, "Welcome.", "Bienvenidos."), (3.0, 4.8, "Thanks.", "Gracias.")]


@pytest.fixture(scope="module")
def file_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def create(client, auth, **fields) -> str:
    body = {
        "video": {"type": "url", "url": "http://127.0.0.1:9/clip.mp4"},
        "output_languages": ["Spanish"],
        "title": "Review",
        **fields,
    }
    check_request(CREATE, body)
    response = client.post("/v3/video-translations/proofreads", json=body, headers=auth)
    assert response.status_code == 200, response.text
    check_response(CREATE, response.json())
    return response.json()["data"]["proofread_ids"][0]


def complete(client, proofread_id: str) -> None:
    segments = [
        Segment(index=i, start=a, end=b, text=text, translation=tr)
        for i, (a, b, text, tr) in enumerate(LINES)
    ]
    translated = TranslationArtifact(
        source_language="en", target_language="es", engine="test", segments=segments
    )
    store_script(client.app.state.context, proofread_id, translated)


def get(client, auth, proofread_id: str) -> dict:
    response = client.get(path_for(GET, proofread_id=proofread_id), headers=auth)
    assert response.status_code == 200, response.text
    check_response(GET, response.json())
    return response.json()["data"]


def test_session_srt_upload_and_generate(client, auth, file_server):
    root, base = file_server
    (root / "source.srt").write_text("1\n00:00:00,600 --> 00:00:02,400\nWelcome.\n")
    original = f"{base}/source.srt"
    proofread_id = create(client, auth, srt={"type": "url", "url": original})
    pending = get(client, auth, proofread_id)
    assert pending["status"] == "processing" and pending["input_language"] is None
    assert pending["submitted_for_review"] is False

    complete(client, proofread_id)
    done = get(client, auth, proofread_id)
    assert done["status"] == "completed" and done["input_language"] == "English"
    assert done["output_language"] == "Spanish" and isinstance(done["created_at"], int)

    links = client.get(path_for(SRT_GET, proofread_id=proofread_id), headers=auth)
    check_response(SRT_GET, links.json())
    assert links.json()["data"]["original_srt_url"] == original
    srt_url = urlparse(links.json()["data"]["srt_url"])
    assert "Gracias." in client.get(f"{srt_url.path}?{srt_url.query}").text

    (root / "edited.srt").write_text(
        "1\n00:00:00,600 --> 00:00:02,400\nBienvenidos.\n\n"
        "2\n00:00:03,000 --> 00:00:04,800\nMuchas gracias.\n"
    )
    upload = {"srt": {"type": "url", "url": f"{base}/edited.srt"}}
    check_request(SRT_PUT, upload)
    put = client.put(path_for(SRT_PUT, proofread_id=proofread_id), json=upload, headers=auth)
    assert put.status_code == 200, put.text
    check_response(SRT_PUT, put.json())
    assert put.json()["data"]["id"] == proofread_id and put.json()["data"]["edited_segments"] == 1

    body = {
        "captions": True,
        "translate_audio_only": True,
        "callback_url": f"{base}/hook",
        "callback_id": "proof-1",
    }
    check_request(GENERATE, body)
    generated = client.post(path_for(GENERATE, proofread_id=proofread_id), json=body, headers=auth)
    assert generated.status_code == 200, generated.text
    check_response(GENERATE, generated.json())
    assert generated.json()["data"]["status"] == "processing"
    translation_id = generated.json()["data"]["video_translation_id"]

    translation = client.get(
        path_for(TRANSLATION, video_translation_id=translation_id), headers=auth
    ).json()
    check_response(TRANSLATION, translation)
    data = translation["data"]
    assert data["callback_id"] == "proof-1" and data["translate_audio_only"] is True
    assert data["input_language"] == "English"
    with client.app.state.context.db.session() as session:
        row = session.get(Translation, translation_id)
        spec = stored_spec("translation", session.get(Batch, row.batch_id).request)
        assert row.callback_url == f"{base}/hook"
    # Honoured, not just accepted: the job dubs audio only, with captions.
    assert spec.audio_only is True and spec.embed_captions is True
    assert get(client, auth, proofread_id)["submitted_for_review"] is True


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"translate_audio_only": "yes"}, "translate_audio_only"),
        ({"callback_id": 5}, "callback_id"),
        ({"callback_id": "x" * 256}, "callback_id"),
        ({"callback_url": "ftp://example.com/hook"}, "callback_url"),
        ({"callback_url": "x" * 2049}, "callback_url"),
        ({"captions": 1}, "captions"),
    ],
)
def test_generate_refuses_bad_fields(client, auth, body, param):
    proofread_id = create(client, auth)
    complete(client, proofread_id)
    response = client.post(path_for(GENERATE, proofread_id=proofread_id), json=body, headers=auth)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_missing_proofread_is_404_everywhere(client, auth):
    for key in (GET, SRT_GET):
        response = client.get(path_for(key, proofread_id="nope"), headers=auth)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = client.post(path_for(GENERATE, proofread_id="nope"), json={}, headers=auth)
    assert response.status_code == 404
