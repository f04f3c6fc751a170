"""Size limits and strict types on every request body (issue 16, item 5).

- The whole body: over POLYDUB_MAX_JSON_BODY_BYTES it is 413 before it is parsed, with or
  without Content-Length; uploads keep their own limit.
- Each free-text field and list: over its limit (api/schemas/fields.py) it is 400 naming it;
  every string and array in every request body of our OpenAPI has a limit.
- Types: booleans only true/false, numbers only finite JSON numbers, integers only integers;
  NaN / Infinity literals are refused wherever they stand.
- Error messages answered by the API carry no server path.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from polydub.api.app import create_app
from polydub.api.schemas import fields
from polydub.api.schemas.video_translations import CreateVideoTranslationRequest
from polydub.config import Settings
from polydub.errors import EngineError
from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch, Glossary

VIDEO = {"type": "url", "url": "http://127.0.0.1:9/talk.mp4"}
TRANSLATION = {"video": VIDEO, "output_languages": ["Spanish"]}
LIPSYNC = {"video": VIDEO, "audio": {"type": "url", "url": "http://127.0.0.1:9/a.wav"}}
PROOFREAD = {"video": VIDEO, "output_languages": ["Spanish"], "title": "t"}
MIB = 1024 * 1024


def refused(response, param: str | None, status: int = 400) -> dict:
    """The error of a refused request, after checking its status, envelope and param."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "param", "doc_url"}
    assert error["code"] == "invalid_parameter" and error["param"] == param, error
    return error


def row_count(app, model) -> int:
    with app.state.context.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def small_body_client(tmp_path):
    """A client of an app whose JSON body limit is 4 KiB; yields (client, auth headers)."""
    settings = Settings(data_dir=tmp_path / "data", max_json_body_bytes=4096)
    app = create_app(settings, start_executor=False)
    with app.state.context.db.session() as session:
        _, secret = create_key(session, "small")
    with TestClient(app) as client:
        yield client, {"x-api-key": secret}


# --- the whole body -----------------------------------------------------------------------


def test_default_body_limit_is_one_mib():
    assert Settings().max_json_body_bytes == MIB


def test_a_2_mb_title_is_refused_as_a_whole_body_413(client, auth, app):
    body = {**TRANSLATION, "title": "t" * (2 * 1000 * 1000)}
    error = refused(client.post("/v3/video-translations", json=body, headers=auth), None, 413)
    assert error["message"] == f"request body is larger than the limit of {MIB} bytes"
    assert row_count(app, Batch) == 0


def test_a_1_mb_title_is_refused_as_a_400_naming_title(client, auth, app):
    # A body under the body limit reaches validation: the field's own limit names it.
    body = {**TRANSLATION, "title": "t" * (1000 * 1000)}
    error = refused(client.post("/v3/video-translations", json=body, headers=auth), "title")
    assert f"at most {fields.MAX_TITLE} characters" in error["message"]
    assert row_count(app, Batch) == 0


def test_chunked_body_without_content_length_is_413(small_body_client):
    client, auth = small_body_client

    def chunks():
        yield b'{"name": "g", "terms": ['
        for _ in range(200):
            yield b'{"source": "word", "target": "mot"},'
        yield b'{"source": "last"}]}'

    response = client.post(
        "/v3/brand-glossaries",
        content=chunks(),
        headers={**auth, "content-type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    refused(response, None, 413)


def test_oversized_body_is_refused_before_authentication(small_body_client):
    client, _ = small_body_client
    response = client.post("/v3/brand-glossaries", content=b"x" * 5000)
    refused(response, None, 413)  # not 401: nothing past the limit is looked at


def test_a_body_under_the_limit_is_handed_on_whole(small_body_client):
    client, auth = small_body_client
    terms = [{"source": f"source word {i}", "target": f"target word {i}"} for i in range(60)]
    body = {"name": "g", "terms": terms}
    assert 3000 < len(json.dumps(body)) < 4096
    response = client.post("/v3/brand-glossaries", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["terms"]) == 60


def test_body_reading_stops_once_past_the_limit(tmp_path):
    # The app driven over ASGI with a receive that counts what it pulled: a chunked body of
    # 1,000 chunks of 1 KiB must be refused after about 4 KiB, the rest never read.
    app = create_app(
        Settings(data_dir=tmp_path / "data", max_json_body_bytes=4096), start_executor=False
    )
    pulled, sent = 0, []

    async def receive():
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * 1024, "more_body": pulled < 1000}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v3/video-translations",
        "raw_path": b"/v3/video-translations",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert pulled <= 6  # 4 KiB is 4 chunks: one more shows it is over


def test_multipart_to_a_json_route_is_held_to_the_body_limit(small_body_client):
    client, auth = small_body_client
    response = client.post(
        "/v3/video-translations", files={"file": ("a.srt", b"1" * 10_000)}, headers=auth
    )
    refused(response, None, 413)


def test_uploads_keep_their_own_limit(small_body_client):
    # An SRT of ~10 KB is over the 4 KiB JSON limit and well under max_upload_bytes.
    client, auth = small_body_client
    cues = [
        f"{i + 1}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\nLine number {i} of the captions.\n"
        for i in range(59)
    ]
    srt = ("\n".join(cues) * 4).encode()
    assert len(srt) > 8000
    response = client.post("/v3/assets", files={"file": ("a.srt", srt)}, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["size"] == len(srt)


# --- each field ---------------------------------------------------------------------------

LONG_URL = "http://127.0.0.1:9/" + "a" * fields.MAX_URL
LONG_ID = "i" * (fields.MAX_ID + 1)
LONG_LANGUAGE = "L" * (fields.MAX_LANGUAGE_NAME + 1)

# (route, valid body, changed fields, param the 400 must name)
FIELD_CASES = [
    ("/v3/video-translations", TRANSLATION, {"title": "t" * (fields.MAX_TITLE + 1)}, "title"),
    ("/v3/video-translations", TRANSLATION, {"callback_id": "c" * 256}, "callback_id"),
    ("/v3/video-translations", TRANSLATION, {"callback_url": LONG_URL}, "callback_url"),
    ("/v3/video-translations", TRANSLATION, {"folder_id": LONG_ID}, "folder_id"),
    ("/v3/video-translations", TRANSLATION, {"brand_glossary_id": LONG_ID}, "brand_glossary_id"),
    ("/v3/video-translations", TRANSLATION, {"brand_voice_id": LONG_ID}, "brand_voice_id"),
    ("/v3/video-translations", TRANSLATION, {"input_language": LONG_LANGUAGE}, "input_language"),
    (
        "/v3/video-translations",
        TRANSLATION,
        {"output_languages": [LONG_LANGUAGE]},
        "output_languages.0",
    ),
    (
        "/v3/video-translations",
        TRANSLATION,
        {"output_languages": ["Spanish"] * (fields.MAX_OUTPUT_LANGUAGES + 1)},
        "output_languages",
    ),
    ("/v3/video-translations", TRANSLATION, {"output_languages": [""]}, "output_languages.0"),
    (
        "/v3/video-translations",
        TRANSLATION,
        {"video": {"type": "url", "url": LONG_URL}},
        "video.url",
    ),
    (
        "/v3/video-translations",
        TRANSLATION,
        {"video": {"type": "asset_id", "asset_id": LONG_ID}},
        "video.asset_id",
    ),
    (
        "/v3/video-translations",
        TRANSLATION,
        {"audio": {"type": "url", "url": LONG_URL}},
        "audio.url",
    ),
    ("/v3/video-translations", TRANSLATION, {"srt": {"type": "url", "url": LONG_URL}}, "srt.url"),
    (
        "/v3/video-translations",
        TRANSLATION,
        {"stock_voice_config": {"preferred_stock_voice_ids": [LONG_ID]}},
        "stock_voice_config.preferred_stock_voice_ids.0",
    ),
    (
        "/v3/video-translations",
        TRANSLATION,
        {"stock_voice_config": {"preferred_stock_voice_ids": ["v"] * 51}},
        "stock_voice_config.preferred_stock_voice_ids",
    ),
    ("/v3/video-translations", TRANSLATION, {"title": "nul \x00 inside"}, "title"),
    ("/v3/lipsyncs", LIPSYNC, {"title": "t" * (fields.MAX_TITLE + 1)}, "title"),
    ("/v3/lipsyncs", LIPSYNC, {"callback_id": "c" * 256}, "callback_id"),
    ("/v3/lipsyncs", LIPSYNC, {"callback_url": LONG_URL}, "callback_url"),
    ("/v3/lipsyncs", LIPSYNC, {"folder_id": LONG_ID}, "folder_id"),
    ("/v3/lipsyncs", LIPSYNC, {"audio": {"type": "url", "url": LONG_URL}}, "audio.url"),
    ("/v3/video-translations/proofreads", PROOFREAD, {"title": "t" * 501}, "title"),
    ("/v3/video-translations/proofreads", PROOFREAD, {"folder_id": LONG_ID}, "folder_id"),
    (
        "/v3/video-translations/proofreads",
        PROOFREAD,
        {"brand_glossary_id": LONG_ID},
        "brand_glossary_id",
    ),
    (
        "/v3/video-translations/proofreads",
        PROOFREAD,
        {"output_languages": ["Spanish"] * 101},
        "output_languages",
    ),
    ("/v3/brand-glossaries", {"name": "g"}, {"name": "n" * 201}, "name"),
    ("/v3/brand-glossaries", {"name": "g"}, {"terms": [{"source": "s" * 501}]}, "terms.0.source"),
    (
        "/v3/brand-glossaries",
        {"name": "g"},
        {"terms": [{"source": "s", "target": "t" * 501}]},
        "terms.0.target",
    ),
    (
        "/v3/brand-glossaries",
        {"name": "g"},
        {"terms": [{"source": "s"}] * (fields.MAX_GLOSSARY_TERMS + 1)},
        "terms",
    ),
]


@pytest.mark.parametrize(("path", "valid", "changes", "param"), FIELD_CASES)
def test_field_over_its_limit_is_400_naming_it(client, auth, path, valid, changes, param):
    response = client.post(path, json={**valid, **changes}, headers=auth)
    refused(response, param)


def test_glossary_rename_is_held_to_the_name_limit(client, auth, app):
    created = client.post("/v3/brand-glossaries", json={"name": "g"}, headers=auth)
    glossary_id = created.json()["data"]["id"]
    response = client.patch(
        f"/v3/brand-glossaries/{glossary_id}", json={"name": "n" * 201}, headers=auth
    )
    refused(response, "name")
    assert row_count(app, Glossary) == 1


def test_values_at_their_limits_are_accepted(client, auth):
    name = "n" * fields.MAX_GLOSSARY_NAME
    term = {"source": "s" * fields.MAX_GLOSSARY_TERM, "target": "t" * fields.MAX_GLOSSARY_TERM}
    response = client.post(
        "/v3/brand-glossaries", json={"name": name, "terms": [term]}, headers=auth
    )
    assert response.status_code == 200, response.text
    body = {
        **TRANSLATION,
        "title": "t" * fields.MAX_TITLE,
        "callback_id": "c" * fields.MAX_CALLBACK_ID,
        "callback_url": "https://example.com/" + "a" * (fields.MAX_URL - 20),
        "folder_id": "f" * fields.MAX_ID,
        "output_languages": ["Spanish"] * fields.MAX_OUTPUT_LANGUAGES,
        "stock_voice_config": {"preferred_stock_voice_ids": ["v"] * fields.MAX_STOCK_VOICE_IDS},
    }
    request = CreateVideoTranslationRequest.model_validate(body)
    assert len(request.title) == fields.MAX_TITLE and len(request.callback_url) == fields.MAX_URL


def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        target = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _unbounded(schema: dict, spec: dict, where: str) -> list[str]:
    """Strings without maxLength and arrays without maxItems anywhere under `schema`."""
    schema = _resolve(schema, spec)
    found = []
    for union in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(union, []):
            found += _unbounded(member, spec, where)
    if schema.get("type") == "string" and not {"enum", "const", "maxLength"} & set(schema):
        found.append(where)
    if schema.get("type") == "array":
        if "maxItems" not in schema:
            found.append(where)
        found += _unbounded(schema.get("items", {}), spec, f"{where}[]")
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(sub, spec, f"{where}.{name}")
    return found


def test_every_string_and_list_of_every_request_body_is_bounded(app):
    spec = app.openapi()
    bodies = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                bodies.append((f"{method.upper()} {path}", content["application/json"]["schema"]))
    assert len(bodies) >= 7  # translations, lipsyncs, proofreads (3), glossaries (3)
    unbounded = [w for name, schema in bodies for w in _unbounded(schema, spec, name)]
    assert unbounded == []


# --- strict types -------------------------------------------------------------------------

STRICT_CASES = [
    ("enable_caption", "yes"),
    ("enable_caption", "true"),
    ("enable_caption", 1),
    ("disable_music_track", 0),
    ("keep_the_same_format", "false"),
    ("translate_audio_only", "on"),
    ("start_time", "5"),
    ("start_time", True),
    ("end_time", "10.5"),
    ("speaker_num", "2"),
    ("speaker_num", 2.0),
    ("speaker_num", True),
]


@pytest.mark.parametrize(("param", "value"), STRICT_CASES)
def test_loosely_typed_values_are_refused(client, auth, param, value):
    body = {**TRANSLATION, param: value}
    refused(client.post("/v3/video-translations", json=body, headers=auth), param)


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v3/lipsyncs", {**LIPSYNC, "enable_watermark": "yes"}, "enable_watermark"),
        ("/v3/video-translations/proofreads", {**PROOFREAD, "speaker_num": "3"}, "speaker_num"),
        ("/v3/video-translations/proofreads", {**PROOFREAD, "enable_video_stretching": 1},
         "enable_video_stretching"),
        ("/v3/brand-glossaries", {"name": "g", "terms": [{"source": "s", "case_sensitive": "no"}]},
         "terms.0.case_sensitive"),
    ],
)  # fmt: skip
def test_strict_types_on_every_resource(client, auth, path, body, param):
    refused(client.post(path, json=body, headers=auth), param)


@pytest.mark.parametrize(
    ("path", "raw", "param"),
    [
        ("/v3/video-translations", '"start_time": NaN', "start_time"),
        ("/v3/video-translations", '"end_time": Infinity', "end_time"),
        ("/v3/video-translations", '"start_time": -Infinity', "start_time"),
        ("/v3/video-translations", '"speaker_num": NaN', "speaker_num"),
        ("/v3/video-translations", '"title": NaN', "title"),
        ("/v3/video-translations", '"output_languages": ["Spanish", NaN]', "output_languages.1"),
        ("/v3/lipsyncs", '"end_time": Infinity', "end_time"),
        ("/v3/brand-glossaries", '"terms": [{"source": "s", "case_sensitive": NaN}]',
         "terms.0.case_sensitive"),
    ],
)  # fmt: skip
def test_nan_and_infinity_literals_are_refused(client, auth, app, path, raw, param):
    base = {"/v3/video-translations": TRANSLATION, "/v3/lipsyncs": LIPSYNC}.get(path, {"name": "g"})
    key = raw.split(":")[0].strip('"')
    text = json.dumps({k: v for k, v in base.items() if k != key})[:-1] + ", " + raw + "}"
    headers = {**auth, "content-type": "application/json"}
    error = refused(client.post(path, content=text, headers=headers), param)
    assert "finite number" in error["message"]
    assert row_count(app, Batch) == 0 and row_count(app, Glossary) == 0


@pytest.mark.parametrize("text", ["[" * 100_000 + "NaN" + "]" * 100_000, '{"name": "g",'])
def test_deep_or_broken_json_is_a_400_not_a_500(client, auth, text):
    headers = {**auth, "content-type": "application/json"}
    response = client.post("/v3/brand-glossaries", content=text, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_nan_and_infinity_inside_strings_are_just_text(client, auth):
    body = {"name": "NaN Infinity", "terms": [{"source": "Infinity", "target": "NaN"}]}
    response = client.post("/v3/brand-glossaries", json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["terms"][0] == {
        "source": "Infinity",
        "target": "NaN",
        "case_sensitive": False,
    }


def test_the_request_model_refuses_non_finite_numbers_on_its_own():
    # Without the HTTP layer (a job spec built from a stored request, the CLI) too.
    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="finite number"):
            CreateVideoTranslationRequest.model_validate({**TRANSLATION, "start_time": value})


# --- error messages -----------------------------------------------------------------------


def test_error_messages_carry_no_server_path(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data"), start_executor=False)
    data_dir = str(tmp_path / "data")

    def fail():
        raise EngineError(f"ffmpeg could not read {data_dir}/work/j1/ingest/mixture.wav: EOF")

    app.add_api_route("/failing", fail)
    with TestClient(app) as client:
        response = client.get("/failing")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "engine_error"
    assert error["message"] == "ffmpeg could not read mixture.wav: EOF"
    assert str(tmp_path) not in response.text
