"""HeyGen's seed flows, end to end, through the client generated from HeyGen's schema
(heygen_client) against a real `polydub serve` process: real pipeline, real job runs, on
PostgreSQL, with the project's short generated clips served over loopback.

Every answer is held against HeyGen's schemas by the client itself; the flows use only the
field names HeyGen's schema declares, and wait the way HeyGen's CLI does (`--wait`: poll
`data.status` until `completed` or `failed`, the id read from `data.video_translation_ids.0`).

The server is shared by the flows of one database (module scope), so a flow that needs a
finished translation reuses the first one's.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time

import httpx
import pytest
from databases import fresh_postgres_database
from file_server import serving
from heygen_client import HeyGenClient
from polydub_server import Service
from webhook_receiver import Receiver

from polydub.jobs.webhooks import SIGNATURE_HEADER, verify_webhook

pytestmark = pytest.mark.e2e

JOB_TIMEOUT_S = 600
CLIP_SECONDS = 6.0
FACE_SECONDS = 4.0
TERMINAL = ("completed", "failed")


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """The project's generated clips, served over HTTP: a talking clip, a speaking face and
    other speech for the face (lip sync, voice cloning); and a folder to serve edits from."""
    from polydub.media.audio import write_wav
    from polydub.samples import make_speaking_face_clip, make_talking_clip, speech_track

    folder = tmp_path_factory.mktemp("seed-media")
    make_talking_clip(folder / "talk.mp4", CLIP_SECONDS)
    make_speaking_face_clip(folder / "face.mp4", FACE_SECONDS)
    speech, _ = speech_track(FACE_SECONDS, ("Welcome back to the studio.",), gap=0.4)
    write_wav(folder / "speech.wav", speech)
    with serving(folder) as base:
        yield folder, base


# PostgreSQL, the deployment's database: every endpoint's answers are also checked on SQLite
# by the contract suites in process (test_*_contract.py); a second served run of these real
# jobs would double their minutes for no new answer.
@pytest.fixture(scope="module", params=["postgresql"])
def server(request, tmp_path_factory):
    """A served Polydub on the given database, and a generated client with a fresh key."""
    with _database(request.param) as database_url:
        service = Service(tmp_path_factory.mktemp(f"seed-{request.param}") / "data", database_url)
        service.start()
        heygen = HeyGenClient.over_http(service.base, service.create_key("seed"), timeout=60)
        try:
            yield service, heygen
        finally:
            heygen.close()
            service.kill(signal.SIGTERM)


def _database(kind: str):
    if kind == "postgresql":
        return fresh_postgres_database()
    from contextlib import nullcontext

    return nullcontext(None)


def wait(read, timeout: float = JOB_TIMEOUT_S) -> dict:
    """HeyGen's CLI `--wait`: poll `data.status` until it is terminal."""
    deadline = time.monotonic() + timeout
    data: dict = {}
    while time.monotonic() < deadline:
        data = read().json()["data"]
        if data["status"] in TERMINAL:
            return data
        time.sleep(1.0)
    raise AssertionError(f"not finished in {timeout}s; last state {data}")


def fetch(url: str) -> httpx.Response:
    response = httpx.get(url, timeout=60)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response


def video_input(base: str, name: str = "talk.mp4") -> dict:
    return {"type": "url", "url": f"{base}/{name}"}


@pytest.fixture(scope="module")
def translation(server, media) -> dict:
    """One Spanish translation of the talking clip, with captions, waited for."""
    _, heygen = server
    _, base = media
    created = heygen.create_video_translation(
        body={
            "video": video_input(base),
            "output_languages": ["Spanish"],
            "mode": "speed",
            "title": "Seed flow",
            "enable_caption": True,
            "callback_id": "seed-1",
        }
    )
    assert created.status_code == 200, created.text
    translation_id = created.json()["data"]["video_translation_ids"][0]
    started = time.monotonic()
    data = wait(lambda: heygen.get_video_translation(video_translation_id=translation_id))
    data["_seconds"] = time.monotonic() - started
    return data


def test_single_translation(translation):
    assert translation["status"] == "completed", translation.get("failure_message")
    print(f"\ntranslation completed in {translation['_seconds']:.1f}s")
    assert translation["output_language"] == "Spanish" and translation["title"] == "Seed flow"
    assert translation["callback_id"] == "seed-1"
    video = fetch(translation["video_url"]).content
    assert video[4:8] == b"ftyp"  # an MP4


def test_captions(translation):
    srt = fetch(translation["srt_caption_url"]).text
    assert re.search(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", srt)
    vtt = fetch(translation["vtt_caption_url"]).text
    assert vtt.startswith("WEBVTT")


def test_proofread_then_generate(server, media):
    _, heygen = server
    folder, base = media
    created = heygen.create_proofread_session(
        body={"video": video_input(base), "output_languages": ["Spanish"], "title": "Proofread"}
    )
    assert created.status_code == 200, created.text
    proofread_id = created.json()["data"]["proofread_ids"][0]
    session = wait(lambda: heygen.get_proofread_session(proofread_id=proofread_id))
    assert session["status"] == "completed", session.get("failure_message")

    srt_url = heygen.download_proofread_srt(proofread_id=proofread_id).json()["data"]["srt_url"]
    original = fetch(srt_url).text
    edited = _replace_first_line(original, "Hola desde la prueba de contrato.")
    name = f"edited-{proofread_id}.srt"
    (folder / name).write_text(edited)
    uploaded = heygen.upload_proofread_srt(
        proofread_id=proofread_id, body={"srt": {"type": "url", "url": f"{base}/{name}"}}
    )
    assert uploaded.status_code == 200, uploaded.text
    again = heygen.download_proofread_srt(proofread_id=proofread_id).json()["data"]["srt_url"]
    assert "Hola desde la prueba de contrato." in fetch(again).text

    generated = heygen.generate_video_from_proofread(proofread_id=proofread_id, body={})
    assert generated.status_code == 200, generated.text
    translation_id = generated.json()["data"]["video_translation_id"]
    data = wait(lambda: heygen.get_video_translation(video_translation_id=translation_id))
    assert data["status"] == "completed", data.get("failure_message")
    fetch(data["video_url"])


def _replace_first_line(srt: str, text: str) -> str:
    blocks = srt.strip().split("\n\n")
    lines = blocks[0].split("\n")
    blocks[0] = "\n".join([*lines[:2], text])
    return "\n\n".join(blocks) + "\n"


def test_lip_sync(server, media):
    _, heygen = server
    _, base = media
    created = heygen.create_lipsync(
        body={
            "video": video_input(base, "face.mp4"),
            "audio": {"type": "url", "url": f"{base}/speech.wav"},
            "title": "Lip sync flow",
        }
    )
    assert created.status_code == 200, created.text
    lipsync_id = created.json()["data"]["lipsync_id"]
    data = wait(lambda: heygen.get_lipsync(lipsync_id=lipsync_id))
    assert data["status"] == "completed", data.get("failure_message")
    assert fetch(data["video_url"]).content[4:8] == b"ftyp"


# --- Flows over endpoints other slices of the parity work add (they fail until merged). ---


def test_statuses(server, translation):
    _, heygen = server
    answer = heygen.bulk_video_translation_statuses(
        video_translation_ids=[translation["id"], "0123456789abcdef0123456789abcdef"]
    )
    assert answer.status_code == 200, answer.text
    by_id = {entry["video_id"]: entry["status"] for entry in answer.json()["data"]}
    assert by_id[translation["id"]] == "completed"
    assert by_id["0123456789abcdef0123456789abcdef"] == "not_found"


def test_batch_translation_item_fails_alone(server, media):
    _, heygen = server
    _, base = media
    created = heygen.create_video_translation_batch(
        body={
            "title": "Seed batch",
            "video_translations": [
                {"video": video_input(base), "output_languages": ["Spanish"]},
                {"video": video_input(base, "no-such-clip.mp4"), "output_languages": ["Spanish"]},
            ],
        }
    )
    assert created.status_code in (200, 202), created.text
    batch_id = created.json()["data"]["batch_id"]
    batch = wait(lambda: heygen.get_video_translation_batch(batch_id=batch_id))
    assert batch["total_items"] == 2
    statuses = sorted(item["status"] for item in batch["items"])
    assert statuses == ["completed", "failed"], batch
    answer = heygen.bulk_video_translation_statuses(batch_ids=[batch_id]).json()["data"]
    assert sorted(entry["status"] for entry in answer) == ["completed", "failed"]


def test_assets(server, media):
    _, heygen = server
    folder, _ = media
    uploaded = heygen.upload_asset(
        files={"file": ("speech.wav", (folder / "speech.wav").read_bytes(), "audio/wav")}
    )
    assert uploaded.status_code == 200, uploaded.text
    asset = uploaded.json()["data"]
    assert asset["mime_type"].startswith("audio/") and asset["size_bytes"] > 0
    fetched = heygen.get_asset(asset_id=asset["asset_id"]).json()["data"]
    assert fetched["id"] == asset["asset_id"]
    listed = heygen.list_assets(limit=100).json()["data"]
    assert asset["asset_id"] in [item["id"] for item in listed]
    assert heygen.delete_asset(asset_id=asset["asset_id"]).status_code == 200
    assert heygen.get_asset(asset_id=asset["asset_id"]).status_code == 404


def test_webhook_endpoint_receives_signed_events(server, media):
    """An endpoint subscribed to failures only: a translation of a missing file fails at once
    (no pipeline run), and its event arrives signed with the endpoint's own secret."""
    _, heygen = server
    _, base = media
    receiver = Receiver()
    try:
        created = heygen.create_webhook_endpoint(
            body={"url": receiver.url, "events": ["video_translate.fail"]}
        )
        assert created.status_code == 200, created.text
        endpoint = created.json()["data"]
        types = heygen.list_webhook_event_types().json()["data"]
        assert "video_translate.fail" in json.dumps(types)
        listed = heygen.list_webhook_endpoints().json()["data"]
        assert endpoint["endpoint_id"] in [item["endpoint_id"] for item in listed]

        failing = heygen.create_video_translation(
            body={"video": video_input(base, "no-such-clip.mp4"), "output_languages": ["Spanish"]}
        ).json()["data"]["video_translation_ids"][0]
        data = wait(lambda: heygen.get_video_translation(video_translation_id=failing))
        assert data["status"] == "failed"
        _wait_for(receiver.got)
        for headers, body in receiver.requests:  # its filter: failures only, whatever else ran
            assert verify_webhook(endpoint["secret"], body, headers[SIGNATURE_HEADER])
            assert json.loads(body)["event_type"] == "video_translate.fail"

        history = heygen.list_webhook_events(entity_id=failing).json()["data"]
        assert [e["event_type"] for e in history] == ["video_translate.fail"]

        rotated = heygen.rotate_webhook_signing_secret(endpoint_id=endpoint["endpoint_id"])
        assert rotated.json()["data"]["secret"] != endpoint["secret"]
        updated = heygen.update_webhook_endpoint(
            endpoint_id=endpoint["endpoint_id"], body={"events": ["video_translate.success"]}
        )
        assert updated.json()["data"]["events"] == ["video_translate.success"]
        gone = heygen.delete_webhook_endpoint(endpoint_id=endpoint["endpoint_id"])
        assert gone.status_code == 200
    finally:
        receiver.close()


def _wait_for(event: threading.Event, timeout: float = 60) -> None:
    assert event.wait(timeout), "no webhook arrived"


def test_voice_clone_then_dub(server, media):
    _, heygen = server
    _, base = media
    cloned = heygen.clone_a_voice(
        body={"audio": {"type": "url", "url": f"{base}/speech.wav"}, "voice_name": "Seed voice"}
    )
    assert cloned.status_code == 200, cloned.text
    voice_id = cloned.json()["data"]["voice_clone_id"]
    voice = _wait_voice(heygen, voice_id)
    assert voice["status"] == "complete", voice.get("failure_message")
    listed = heygen.list_voices(type="private").json()["data"]
    assert voice_id in [item["voice_id"] for item in listed]

    speech = heygen.generate_speech(body={"text": "Hola a todos.", "voice_id": voice_id})
    assert speech.status_code == 200, speech.text
    assert speech.json()["data"]["duration"] > 0
    fetch(speech.json()["data"]["audio_url"])

    dubbed = heygen.create_video_translation(
        body={
            "video": video_input(base),
            "output_languages": ["Spanish"],
            "stock_voice_config": {
                "use_stock_voice": True,
                "preferred_stock_voice_ids": [voice_id],
            },
        }
    ).json()["data"]["video_translation_ids"][0]
    data = wait(lambda: heygen.get_video_translation(video_translation_id=dubbed))
    assert data["status"] == "completed", data.get("failure_message")

    assert heygen.delete_a_voice(voice_id=voice_id).status_code == 200
    assert heygen.delete_a_voice(voice_id=voice_id).status_code == 404


def _wait_voice(heygen: HeyGenClient, voice_id: str) -> dict:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    data: dict = {}
    while time.monotonic() < deadline:
        data = heygen.get_voice(voice_id=voice_id).json()["data"]
        if data.get("status") in ("complete", "failed", None):
            return data
        time.sleep(1.0)
    raise AssertionError(f"voice not ready in {JOB_TIMEOUT_S}s; last state {data}")


# --- Last: paging reads every translation the flows above made. ---


def test_paging_with_token(server, media, translation):
    _, heygen = server
    _, base = media
    while len(heygen.list_video_translations(limit=2).json()["data"]) < 2:
        # Run alone, this flow makes a second translation itself (a missing file: it fails
        # at once; a failed translation is listed like any other).
        heygen.create_video_translation(
            body={"video": video_input(base, "no-such-clip.mp4"), "output_languages": ["French"]}
        )
    everything = heygen.list_video_translations(limit=100).json()
    assert everything["has_more"] is False
    expected = [item["id"] for item in everything["data"]]
    assert translation["id"] in expected
    seen, token, pages = [], None, 0
    while True:
        page = heygen.list_video_translations(limit=1, token=token).json()
        pages += 1
        seen += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            assert page.get("next_token") is None
            break
        token = page["next_token"]
        assert pages <= len(expected), "the token does not move the page on"
    assert seen == expected
    assert pages == len(expected) >= 2, "paging needs at least two translations to show"
