"""The Voices API against HeyGen's schemas, on the real app, engines and job spine.

One voice is cloned per module from a real recording (a single speaker's stretch of the
two-speaker sample inside the pyannote-audio wheel) and reused: listed, read, spoken with,
dubbed with, and finally deleted.
"""

from __future__ import annotations

import base64
import io
import uuid

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient
from heygen_schema import check_request, check_response

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.jobs.models import Asset, VoiceClone
from polydub.jobs.steps import run_batch_here
from polydub.jobs.voice_store import CLONED_VOICES_PREFIX

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# speaker91 talks alone from 21.8 s to 28.4 s of pyannote's sample (its RTTM).
RECORDING_SPAN = (21.9, 28.4)
SPEECH_TEXT = "Thank you for calling. Your order of 25 books ships tomorrow morning."
STOCK_VOICE = "kokoro:jm_kumo"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def service(tmp_path_factory, engines):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("voices") / "data", allow_private_urls=True
    )
    app = create_app(settings, start_executor=False)
    app.state.context.extras["engines"] = engines  # loaded once per session
    with TestClient(app) as client:
        yield app, client


@pytest.fixture(scope="module")
def client(service) -> TestClient:
    return service[1]


@pytest.fixture(scope="module")
def context(service):
    return service[0].state.context


@pytest.fixture(scope="module")
def keys(context) -> tuple[dict, dict]:
    """Headers of the owner of the clone, and of another key."""
    out = []
    for name in ("owner", "other"):
        with context.db.session() as session:
            _, secret = create_key(session, name)
        out.append({"x-api-key": secret})
    return out[0], out[1]


@pytest.fixture(scope="module")
def recording() -> bytes:
    """A wav of one real speaker, 6.5 s."""
    from polydub.dialogue_samples import pyannote_sample
    from polydub.media.audio import decode_audio

    sample = pyannote_sample()
    if sample is None:
        pytest.skip("pyannote-audio (its sample recording) is not installed")
    start, end = RECORDING_SPAN
    audio = decode_audio(sample[0], 16000, start=start, end=end)
    out = io.BytesIO()
    sf.write(out, audio.samples, audio.sample_rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


def clone_payload(recording: bytes, **fields) -> dict:
    audio = {
        "type": "base64",
        "media_type": "audio/wav",
        "data": base64.b64encode(recording).decode(),
    }
    return {"audio": audio, "voice_name": "Narrator", **fields}


@pytest.fixture(scope="module")
def clone(client, context, keys, recording) -> str:
    """The voice id of the module's clone, polled until complete."""
    owner, _ = keys
    payload = clone_payload(recording, language="en")
    check_request("POST /v3/voices/clone", payload)
    created = client.post("/v3/voices/clone", json=payload, headers=owner)
    assert created.status_code == 200, created.text
    check_response("POST /v3/voices/clone", created.json())
    voice_id = created.json()["data"]["voice_clone_id"]
    first = client.get(f"/v3/voices/{voice_id}", headers=owner).json()
    check_response("GET /v3/voices/{voice_id}", first)
    assert first["data"]["status"] == "processing"
    run_batch_here(context, voice_id.partition(":")[2], lambda: False)  # the job, in-process
    for _ in range(10):
        polled = client.get(f"/v3/voices/{voice_id}", headers=owner).json()
        if polled["data"]["status"] != "processing":
            break
    check_response("GET /v3/voices/{voice_id}", polled)
    assert polled["data"]["status"] == "complete", polled
    return voice_id


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


# -- list and get --------------------------------------------------------------------------------


def test_list_pages_stock_voices_then_own_clones(client, keys, clone):
    owner, other = keys
    seen, token = [], None
    while True:
        params = {"limit": 3, **({"token": token} if token else {})}
        page = client.get("/v3/voices", params=params, headers=owner)
        assert page.status_code == 200, page.text
        check_response("GET /v3/voices", page.json())
        seen += page.json()["data"]
        token = page.json()["next_token"]
        assert page.json()["has_more"] is (token is not None)
        if token is None:
            break
    ids = [v["voice_id"] for v in seen]
    assert len(ids) == len(set(ids)) and STOCK_VOICE in ids and clone in ids
    mine = next(v for v in seen if v["voice_id"] == clone)
    assert mine["type"] == "private" and mine["name"] == "Narrator"
    assert mine["language"] == "English" and mine["preview_audio_url"]
    assert {v["type"] for v in seen if v["voice_id"] != clone} == {"public"}
    theirs = client.get("/v3/voices", params={"limit": 100}, headers=other).json()["data"]
    assert clone not in [v["voice_id"] for v in theirs]


def test_list_filters(client, keys, clone):
    owner, _ = keys

    def listed(**params) -> list[dict]:
        response = client.get("/v3/voices", params={"limit": 100, **params}, headers=owner)
        assert response.status_code == 200, response.text
        check_response("GET /v3/voices", response.json())
        return response.json()["data"]

    assert [v["voice_id"] for v in listed(type="private")] == [clone]
    assert clone not in [v["voice_id"] for v in listed(type="public")]
    spanish = listed(language="Spanish")
    assert spanish and all(v["language"] == "Spanish" for v in spanish)
    assert all(v["gender"] == "female" for v in listed(gender="female"))
    kokoro = listed(engine="kokoro")
    assert kokoro and all(v["voice_id"].startswith("kokoro:") for v in kokoro)
    assert len(listed(engine="starfish")) == len(listed())  # every voice can speak


@pytest.mark.parametrize(
    "params, param",
    [
        ({"engine": "nope"}, "engine"),
        ({"token": "not-a-token"}, "token"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"gender": "other"}, "gender"),
        ({"type": "shared"}, "type"),
        ({"language": "Klingon"}, "language"),
    ],
)
def test_list_refuses_bad_queries(client, keys, params, param):
    assert error_of(client.get("/v3/voices", params=params, headers=keys[0]))["param"] == param


def test_get_a_stock_voice(client, keys):
    body = client.get(f"/v3/voices/{STOCK_VOICE}", headers=keys[0]).json()
    check_response("GET /v3/voices/{voice_id}", body)
    assert body["data"]["voice_id"] == STOCK_VOICE and body["data"]["gender"] == "male"
    assert body["data"]["status"] is None


def test_get_clone_details(client, keys, clone):
    data = client.get(f"/v3/voices/{clone}", headers=keys[0]).json()["data"]
    assert data["name"] == "Narrator" and data["language"] == "English"
    assert data["gender"] in ("male", "female") and isinstance(data["created_at"], int)
    assert data["report"]["similarity"] > data["report"]["start_similarity"] - 0.05
    preview = client.get(data["preview_audio_url"])
    assert preview.status_code == 200
    audio, rate = sf.read(io.BytesIO(preview.content))
    assert len(audio) / rate > 1.0


def test_another_keys_clone_is_not_found(client, keys, clone):
    _, other = keys
    for response in (
        client.get(f"/v3/voices/{clone}", headers=other),
        client.delete(f"/v3/voices/{clone}", headers=other),
    ):
        assert error_of(response, 404)["code"] == "voice_not_found"
    assert error_of(client.get("/v3/voices/kokoro:nobody", headers=other), 404)


# -- clone requests ------------------------------------------------------------------------------


def test_clone_accepts_a_url_and_an_asset(client, context, keys, recording):
    owner, _ = keys
    blobs = context.blobs
    key = blobs.put_bytes(f"assets/voice-test/{uuid.uuid4().hex}.wav", recording)
    with context.db.session() as session:
        from polydub.jobs.keys import find_key

        asset = Asset(
            owner_id=find_key(session, owner["x-api-key"]).id,
            filename="me.wav",
            content_type="audio/wav",
            kind="audio",
            size=len(recording),
            storage_key=key,
        )
        session.add(asset)
        session.flush()
        asset_id = asset.id
    for audio in (
        {"type": "url", "url": "http://127.0.0.1:9/me.wav"},
        {"type": "asset_id", "asset_id": asset_id},
    ):
        payload = {"audio": audio, "voice_name": "x", "remove_background_noise": False}
        check_request("POST /v3/voices/clone", payload)
        created = client.post("/v3/voices/clone", json=payload, headers=owner)
        assert created.status_code == 200, created.text
        voice_id = created.json()["data"]["voice_clone_id"]
        assert client.get(f"/v3/voices/{voice_id}", headers=owner).json()["data"]["status"] == (
            "processing"
        )
        deleted = client.delete(f"/v3/voices/{voice_id}", headers=owner)
        check_response("DELETE /v3/voices/{voice_id}", deleted.json())


def test_a_clone_that_cannot_download_fails_with_a_message(client, context, keys):
    owner, _ = keys
    payload = {"audio": {"type": "url", "url": "http://127.0.0.1:9/gone.wav"}, "voice_name": "x"}
    voice_id = client.post("/v3/voices/clone", json=payload, headers=owner).json()["data"][
        "voice_clone_id"
    ]
    run_batch_here(context, voice_id.partition(":")[2], lambda: False)
    body = client.get(f"/v3/voices/{voice_id}", headers=owner).json()
    check_response("GET /v3/voices/{voice_id}", body)
    assert body["data"]["status"] == "failed"
    assert "could not download" in body["data"]["failure_message"]
    assert "/" not in body["data"]["failure_message"].replace("http://127.0.0.1:9/gone.wav", "")


@pytest.mark.parametrize(
    "change, param",
    [
        ({"voice_name": None}, "voice_name"),
        ({"voice_name": ""}, "voice_name"),
        ({"voice_name": "x" * 201}, "voice_name"),
        ({"remove_background_noise": "yes"}, "remove_background_noise"),
        ({"language": 5}, "language"),
        ({"language": "Klingon"}, "language"),
        ({"audio": {"type": "base64", "media_type": "audio/wav", "data": "@@@"}}, "audio.data"),
        (
            {"audio": {"type": "base64", "media_type": "audio/wav", "data": "aGVsbG8gd29ybGQ="}},
            "audio.data",
        ),
        ({"audio": {"type": "ftp", "url": "ftp://x"}}, "audio"),
        ({"audio": {"type": "asset_id", "asset_id": "nope"}}, "audio.asset_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_clone_refuses_bad_requests(client, keys, change, param):
    payload = {"audio": {"type": "url", "url": "http://127.0.0.1:9/a.wav"}, "voice_name": "v"}
    payload.update(change)
    payload = {k: v for k, v in payload.items() if v is not None}
    error = error_of(client.post("/v3/voices/clone", json=payload, headers=keys[0]))
    assert error["param"] == param and error["code"] == "invalid_parameter"


# -- speech --------------------------------------------------------------------------------------


def check_timed_speech(client, body: dict, text: str) -> np.ndarray:
    """The answer's audio, after checking its word times against it."""
    check_response("POST /v3/voices/speech", body)
    data = body["data"]
    fetched = client.get(data["audio_url"])
    assert fetched.status_code == 200
    audio, rate = sf.read(io.BytesIO(fetched.content))
    assert abs(len(audio) / rate - data["duration"]) < 0.01
    words = data["word_timestamps"]
    assert [w["word"] for w in words] == [w.strip(".,") for w in text.split()]
    starts = [w["start"] for w in words]
    assert starts == sorted(starts) and all(w["end"] >= w["start"] for w in words)
    assert all(a["end"] <= b["start"] + 0.05 for a, b in zip(words, words[1:], strict=False))
    # They cover the audio: speech starts and ends within the engine's trimmed margins.
    assert words[0]["start"] < 0.3 and words[-1]["end"] > data["duration"] - 0.3
    assert words[-1]["end"] <= data["duration"] + 1e-6
    # Each word sounds where it is placed: its span is louder than the pauses around words.
    loud = [
        np.sqrt(np.mean(audio[int(w["start"] * rate) : int(w["end"] * rate)] ** 2)) for w in words
    ]
    assert min(loud) > 0.01
    return audio


def test_speech_with_a_stock_voice(client, keys):
    payload = {"text": SPEECH_TEXT, "voice_id": STOCK_VOICE, "language": "en"}
    check_request("POST /v3/voices/speech", payload)
    response = client.post("/v3/voices/speech", json=payload, headers=keys[0])
    assert response.status_code == 200, response.text
    check_timed_speech(client, response.json(), SPEECH_TEXT)
    faster = client.post(
        "/v3/voices/speech", json={**payload, "speed": 1.5}, headers=keys[0]
    ).json()["data"]
    assert faster["duration"] < response.json()["data"]["duration"] * 0.85


def test_speech_with_the_clone_detects_the_language(client, keys, clone):
    text = "Hola, ¿cómo estás? Muy bien, gracias."
    response = client.post(
        "/v3/voices/speech", json={"text": text, "voice_id": clone}, headers=keys[0]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    check_timed_speech(client, body, text.replace("¿", "").replace("?", ""))


@pytest.mark.parametrize(
    "change, param",
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"speed": 3}, "speed"),
        ({"speed": "1"}, "speed"),
        ({"speed": True}, "speed"),
        ({"input_type": "ssml"}, "input_type"),
        ({"voice_id": "kokoro:nobody"}, "voice_id"),
        ({"voice_id": "clone:" + "0" * 32}, "voice_id"),
        ({"language": "Klingon"}, "language"),
        ({"language": "zh"}, "language"),
        ({"text": "..."}, "text"),
    ],
)
def test_speech_refuses_bad_requests(client, keys, change, param):
    payload = {"text": "Hello there.", "voice_id": STOCK_VOICE, **change}
    error = error_of(client.post("/v3/voices/speech", json=payload, headers=keys[0]))
    assert error["param"] == param


def test_speech_with_another_keys_clone_is_refused(client, keys, clone):
    payload = {"text": "Hello there.", "voice_id": clone}
    assert error_of(client.post("/v3/voices/speech", json=payload, headers=keys[1]))["param"] == (
        "voice_id"
    )


# -- dubbing with the clone ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def short_clip_asset(context, keys, tmp_path_factory) -> str:
    from polydub.jobs.keys import find_key
    from polydub.samples import make_talking_clip

    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    make_talking_clip(path, 4.0, width=320, height=240, music=False)
    key = context.blobs.put_file(f"assets/voice-test/{uuid.uuid4().hex}.mp4", path)
    with context.db.session() as session:
        asset = Asset(
            owner_id=find_key(session, keys[0]["x-api-key"]).id,
            filename="clip.mp4",
            content_type="video/mp4",
            kind="video",
            size=path.stat().st_size,
            storage_key=key,
        )
        session.add(asset)
        session.flush()
        return asset.id


def test_a_dub_speaks_with_the_cloned_voice(client, context, keys, clone, short_clip_asset):
    owner, other = keys
    request = {
        "video": {"type": "asset_id", "asset_id": short_clip_asset},
        "output_languages": ["Spanish"],
        "stock_voice_config": {"use_stock_voice": True, "preferred_stock_voice_ids": [clone]},
        "translate_audio_only": True,
    }
    refused = client.post("/v3/video-translations", json=request, headers=other)
    assert error_of(refused)["param"].startswith("stock_voice_config")
    created = client.post("/v3/video-translations", json=request, headers=owner)
    assert created.status_code == 200, created.text
    (translation_id,) = created.json()["data"]["video_translation_ids"]
    from polydub.jobs.models import Translation

    with context.db.session() as session:
        batch_id = session.get(Translation, translation_id).batch_id
    run_batch_here(context, batch_id, lambda: False)
    data = client.get(f"/v3/video-translations/{translation_id}", headers=owner).json()["data"]
    assert data["status"] == "completed", data.get("failure_message")
    voices = data["report"]["engines"]["voices"]  # speaker -> the voice that spoke
    assert voices and set(voices.values()) == {clone}


# -- delete (last: the module's clone goes) ------------------------------------------------------


def test_delete_then_404(client, context, keys, clone):
    owner, _ = keys
    deleted = client.delete(f"/v3/voices/{clone}", headers=owner)
    assert deleted.status_code == 200, deleted.text
    check_response("DELETE /v3/voices/{voice_id}", deleted.json())
    assert deleted.json()["data"]["voice_id"] == clone
    assert error_of(client.get(f"/v3/voices/{clone}", headers=owner), 404)["code"] == (
        "voice_not_found"
    )
    assert error_of(client.delete(f"/v3/voices/{clone}", headers=owner), 404)["code"] == (
        "voice_not_found"
    )
    listed = client.get("/v3/voices", params={"limit": 100}, headers=owner).json()["data"]
    assert clone not in [v["voice_id"] for v in listed]
    clone_id = clone.partition(":")[2]
    assert not context.blobs.exists(f"{CLONED_VOICES_PREFIX}/{clone_id}.json")
    with context.db.session() as session:
        assert session.get(VoiceClone, clone_id) is None
    payload = {"text": "Hello.", "voice_id": clone}
    assert error_of(client.post("/v3/voices/speech", json=payload, headers=owner))["param"] == (
        "voice_id"
    )


# -- the rows on both databases ------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_app(request, tmp_path, engines):
    url = None
    if request.param == "postgresql":
        import psycopg

        name = f"polydub_voices_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    settings = Settings(data_dir=tmp_path / "data", allow_private_urls=True, database_url=url)
    app = create_app(settings, start_executor=False)
    app.state.context.extras["engines"] = engines
    with TestClient(app) as client:
        yield app, client
    app.state.context.db.engine.dispose()
    if url:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_clone_rows_per_key(database_app):
    app, client = database_app
    headers = []
    for name in ("a", "b"):
        with app.state.context.db.session() as session:
            headers.append({"x-api-key": create_key(session, name)[1]})
    payload = {"audio": {"type": "url", "url": "http://127.0.0.1:9/a.wav"}, "voice_name": "v"}
    voice_id = client.post("/v3/voices/clone", json=payload, headers=headers[0]).json()["data"][
        "voice_clone_id"
    ]
    body = client.get(f"/v3/voices/{voice_id}", headers=headers[0]).json()
    check_response("GET /v3/voices/{voice_id}", body)
    assert body["data"]["status"] == "processing" and body["data"]["name"] == "v"
    assert client.get(f"/v3/voices/{voice_id}", headers=headers[1]).status_code == 404
    # A clone still processing is not listed, nor usable.
    assert voice_id not in [
        v["voice_id"]
        for v in client.get("/v3/voices?type=private", headers=headers[0]).json()["data"]
    ]
    speech = client.post(
        "/v3/voices/speech", json={"text": "Hi.", "voice_id": voice_id}, headers=headers[0]
    )
    assert error_of(speech)["param"] == "voice_id"
    assert client.delete(f"/v3/voices/{voice_id}", headers=headers[0]).status_code == 200
    assert client.get(f"/v3/voices/{voice_id}", headers=headers[0]).status_code == 404
