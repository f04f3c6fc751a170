"""The proofread flow of the guides over HTTP, with the job executor's threads in-process:
create (Spanish) on a 6-second clip with its source SRT, poll, download the SRT, generate,
edit one line, upload it, generate again, and check that the edit is in the captions and that
only the edited line was re-synthesised (every call of the real TTS engines is counted)."""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.media.audio import write_wav
from polydub.media.ffmpeg import run_ffmpeg
from polydub.pipeline.srt_script import parse_numbered_srt
from polydub.samples import speech_track

pytestmark = pytest.mark.e2e

LINES = ("Good morning, everyone.", "See you next time.")
POLL_LIMIT_S = 400


@pytest.fixture
def clip(tmp_path):
    speech, timeline = speech_track(6.0, LINES, gap=2.1)
    assert len(timeline) >= 2
    wav = tmp_path / "speech.wav"
    write_wav(wav, speech)
    path = tmp_path / "clip.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=6", "-i", str(wav)]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    )
    return path


def fetch(client, url: str) -> str:
    parsed = urlparse(url)
    response = client.get(f"{parsed.path}?{parsed.query}")
    assert response.status_code == 200, response.text
    return response.content.decode("utf-8")


def poll(client, auth, path: str, done: set[str]) -> dict:
    deadline = time.monotonic() + POLL_LIMIT_S
    while time.monotonic() < deadline:
        data = client.get(path, headers=auth).json()["data"]
        if data["status"] in done | {"failed"}:
            assert data["status"] != "failed", data.get("failure_message")
            return data
        time.sleep(1.0)
    raise AssertionError(f"{path} did not finish in {POLL_LIMIT_S}s")


def upload(client, auth, name: str, content: bytes) -> str:
    response = client.post("/v3/assets", headers=auth, files={"file": (name, content)})
    assert response.status_code == 200, response.text
    return response.json()["data"]["id"]


def generate(client, auth, proofread_id: str) -> dict:
    response = client.post(
        f"/v3/video-translations/proofreads/{proofread_id}/generate",
        headers=auth,
        json={"captions": True},
    )
    assert response.status_code == 200, response.text
    translation_id = response.json()["data"]["video_translation_id"]
    data = poll(client, auth, f"/v3/video-translations/{translation_id}", {"completed"})
    caption = client.get(f"/v3/video-translations/{translation_id}/caption", headers=auth)
    data["captions"] = fetch(client, caption.json()["data"]["caption_url"])
    return data


def test_proofread_edit_generate_over_http(tmp_path, clip):
    # In-process jobs: the test counts the calls of the engines the jobs use.
    settings = Settings(data_dir=tmp_path / "data", allow_private_urls=True, executor="inprocess")
    app = create_app(settings)
    with TestClient(app) as client:
        context = app.state.context
        with context.db.session() as session:
            _, secret = create_key(session, "e2e")
        auth = {"x-api-key": secret}
        calls: list[str] = []
        for engine in context.engines.synthesizers.values():
            real = engine.synthesize

            def counting(text, *, _real=real, **kwargs):
                calls.append(text)
                return _real(text, **kwargs)

            engine.synthesize = counting

        video_id = upload(client, auth, "clip.mp4", clip.read_bytes())
        # Whisper keeps a clip this short as one segment; the initial SRT gives it two lines.
        source_srt = (
            "1\n00:00:00,600 --> 00:00:02,100\nGood morning, everyone.\n\n"
            "2\n00:00:04,200 --> 00:00:05,300\nSee you next time.\n"
        )
        srt_asset = upload(client, auth, "source.srt", source_srt.encode())
        started = time.monotonic()
        response = client.post(
            "/v3/video-translations/proofreads",
            headers=auth,
            json={
                "video": {"type": "asset_id", "asset_id": video_id},
                "output_languages": ["Spanish"],
                "title": "Review before publishing",
                "mode": "precision",
                "srt": {"type": "asset_id", "asset_id": srt_asset},
            },
        )
        assert response.status_code == 200, response.text
        (proofread_id,) = response.json()["data"]["proofread_ids"]
        base = f"/v3/video-translations/proofreads/{proofread_id}"
        poll(client, auth, base, {"completed"})
        proofread_s = time.monotonic() - started
        assert calls == []  # a proofread makes no voices

        srt_text = fetch(client, client.get(base + "/srt", headers=auth).json()["data"]["srt_url"])
        cues = parse_numbered_srt(srt_text)
        assert len(cues) >= 2 and [c.number for c in cues] == list(range(1, len(cues) + 1))

        started = time.monotonic()
        first = generate(client, auth, proofread_id)
        first_s = time.monotonic() - started
        assert len(set(calls)) >= len(cues)
        calls.clear()

        edited_cue = cues[-1]
        new_text = "Hasta muy pronto, amigos."
        edited_srt = srt_text.replace(edited_cue.text, new_text)
        srt_id = upload(client, auth, "edited.srt", edited_srt.encode("utf-8"))
        response = client.put(
            base + "/srt", headers=auth, json={"srt": {"type": "asset_id", "asset_id": srt_id}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["edited_segments"] == 1

        started = time.monotonic()
        second = generate(client, auth, proofread_id)
        second_s = time.monotonic() - started
        print(f"proofread {proofread_s:.1f}s, generate {first_s:.1f}s, after edit {second_s:.1f}s")

        assert set(calls) == {new_text}, calls  # only the edited line was re-synthesised
        flat = " ".join(second["captions"].split())
        assert new_text in flat and new_text not in " ".join(first["captions"].split())
        for cue in cues[:-1]:
            assert cue.text in flat  # the other lines are unchanged
        stages = {s["stage"]: s["cached"] for s in second["report"]["stages"]}
        assert stages["transcribe"] and stages["translate"] and not stages["synthesize"]
