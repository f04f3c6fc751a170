"""The proofreading studio's endpoints: segments read and edited (translation, speaker, voice,
timing), refused edits in the error envelope, the SRT upload mapping onto the same edits, edits
reaching the dub options, and a line auditioned with a real TTS engine (Kokoro).

No executor runs: a completed proofread is made with the proofread task's own `store_script`.
"""

from __future__ import annotations

import io
import wave
from urllib.parse import urlparse

import pytest

from polydub.domain.transcript import Segment
from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.models import Batch, Proofread
from polydub.jobs.proofread_scripts import proofread_edits, store_script, translation_edits
from polydub.pipeline.artifacts import TranslationArtifact
from polydub.pipeline.translation_quality import LineQuality

LINES = [
    (0.6, 2.4, "SPEAKER_00", "Welcome to the product.", "Bienvenidos al producto."),
    (3.0, 4.8, "SPEAKER_01", "Today three features.", "Hoy tres funciones."),
    (5.2, 6.9, "SPEAKER_00", "Thank you for watching.", "Gracias por mirar."),
]


@pytest.fixture(autouse=True)
def loaded_engines(app, engines):
    app.state.context.extras["engines"] = engines


def base(proofread_id: str) -> str:
    return f"/v3/video-translations/proofreads/{proofread_id}"


@pytest.fixture
def proofread_id(client, auth) -> str:
    body = {
        "video": {"type": "url", "url": "http://127.0.0.1:9/clip.mp4"},
        "output_languages": ["Spanish"],
        "title": "Studio",
    }
    response = client.post("/v3/video-translations/proofreads", headers=auth, json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]["proofread_ids"][0]


def complete(client, proofread_id: str) -> None:
    segments = [
        Segment(index=i, start=a, end=b, speaker=sp, text=text, translation=tr)
        for i, (a, b, sp, text, tr) in enumerate(LINES)
    ]
    translated = TranslationArtifact(
        source_language="en",
        target_language="es",
        engine="test",
        segments=segments,
        line_quality=[LineQuality(index=1, score=0.42)],
    )
    store_script(client.app.state.context, proofread_id, translated)


def a_voice(payload: dict) -> str:
    voices = [v["voice_id"] for v in payload["voices"]]
    assert voices, payload
    return voices[-1]


def test_segments_are_not_ready_before_the_script(client, auth, proofread_id):
    for method, path, body in [
        ("GET", "/segments", None),
        ("PATCH", "/segments", {"segments": [{"index": 0, "translation": "Hola."}]}),
        ("POST", "/audition", {"index": 0}),
    ]:
        response = client.request(method, base(proofread_id) + path, headers=auth, json=body)
        assert response.status_code == 409, (method, path, response.text)
        error = response.json()["error"]
        assert error["code"] == "resource_not_ready" and error["param"] == "proofread_id"


def test_read_segments(client, auth, proofread_id):
    complete(client, proofread_id)
    response = client.get(base(proofread_id) + "/segments", headers=auth)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["proofread_id"] == proofread_id and data["status"] == "completed"
    assert data["output_language"] == "Spanish" and data["video_translation_id"] is None
    assert data["source_video_url"] == "http://127.0.0.1:9/clip.mp4"
    assert [s["speaker"] for s in data["speakers"]] == ["SPEAKER_00", "SPEAKER_01"]
    assert all(v["voice_id"].count(":") == 1 and v["name"] for v in data["voices"])
    first, second, _ = data["segments"]
    assert first == {
        "index": 0,
        "start": 0.6,
        "end": 2.4,
        "speaker": "SPEAKER_00",
        "source_text": "Welcome to the product.",
        "translation": "Bienvenidos al producto.",
        "voice_id": None,
        "quality": None,
        "rate": None,
        "slowdown": None,
        "edited": False,
    }
    assert second["quality"] == 0.42


def test_edits_are_stored_shown_and_reach_the_dub(client, auth, proofread_id):
    complete(client, proofread_id)
    voice = a_voice(client.get(base(proofread_id) + "/segments", headers=auth).json()["data"])
    changes = [
        {"index": 1, "translation": "Hoy  cuatro funciones.", "speaker": "SPEAKER_00"},
        {"index": 2, "voice_id": voice, "start": 5.0, "end": 7.5},
    ]
    response = client.patch(
        base(proofread_id) + "/segments", headers=auth, json={"segments": changes}
    )
    assert response.status_code == 200, response.text
    segments = response.json()["data"]["segments"]
    assert [s["edited"] for s in segments] == [False, True, True]
    assert segments[1]["translation"] == "Hoy cuatro funciones."
    assert segments[1]["speaker"] == "SPEAKER_00"
    assert (segments[2]["start"], segments[2]["end"], segments[2]["voice_id"]) == (5.0, 7.5, voice)
    # GET shows the same; the dub options carry every edit of the target.
    again = client.get(base(proofread_id) + "/segments", headers=auth).json()["data"]
    assert again["segments"] == segments
    context = client.app.state.context
    assert proofread_edits(context, proofread_id) == {
        "es": {
            1: {"translation": "Hoy cuatro funciones.", "speaker": "SPEAKER_00"},
            2: {"voice_id": voice, "start": 5.0, "end": 7.5},
        }
    }
    # Setting a field back to the machine's value (or a voice to null) undoes the edit.
    undo = [{"index": 1, "speaker": "SPEAKER_01"}, {"index": 2, "voice_id": None}]
    response = client.patch(base(proofread_id) + "/segments", headers=auth, json={"segments": undo})
    segments = response.json()["data"]["segments"]
    assert segments[1]["speaker"] == "SPEAKER_01" and segments[2]["voice_id"] is None
    assert translation_edits(context, proofread_id) == {1: "Hoy cuatro funciones."}


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"index": 9, "translation": "x"}, "segments[0].index"),
        ({"index": 0, "start": 2.0, "end": 1.0}, "segments[0].end"),
        ({"index": 0, "end": 3.5}, "segments[0].end"),  # runs into segment 1 (starts 3.0)
        ({"index": 1, "start": 2.0}, "segments[0].start"),  # starts inside segment 0
        ({"index": 0, "voice_id": "kokoro:no_such_voice"}, "segments[0].voice_id"),
        ({"index": 0, "speaker": "SPEAKER_07"}, "segments[0].speaker"),
        ({"index": 0, "colour": "red"}, "segments.0.colour"),
        ({"index": 0, "start": -1.0}, "segments.0.start"),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(client, auth, proofread_id, change, param):
    complete(client, proofread_id)
    response = client.patch(
        base(proofread_id) + "/segments", headers=auth, json={"segments": [change]}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["param"].replace("[", ".").replace("]", "") == param.replace("[", ".").replace(
        "]", ""
    )
    assert proofread_edits(client.app.state.context, proofread_id) == {"es": {}}


def test_srt_upload_and_studio_edits_share_one_store(client, auth, proofread_id, tmp_path):
    complete(client, proofread_id)
    client.patch(
        base(proofread_id) + "/segments",
        headers=auth,
        json={"segments": [{"index": 0, "translation": "Hola.", "end": 2.8}]},
    )
    context = client.app.state.context
    srt = tmp_path / "edited.srt"
    srt.write_text(
        "1\n00:00:00,600 --> 00:00:02,400\nBienvenidos al producto.\n\n"
        "2\n00:00:03,000 --> 00:00:04,800\nHoy tres novedades.\n\n"
        "3\n00:00:05,200 --> 00:00:06,900\nGracias por mirar.\n"
    )
    from polydub.jobs.proofread_scripts import store_edited_srt

    assert store_edited_srt(context, proofread_id, srt) == {1: "Hoy tres novedades."}
    # The SRT is the whole script: it replaces the translation edits, keeps the timing one.
    assert proofread_edits(context, proofread_id)["es"] == {
        0: {"end": 2.8},
        1: {"translation": "Hoy tres novedades."},
    }
    segments = client.get(base(proofread_id) + "/segments", headers=auth).json()["data"]
    assert [s["translation"] for s in segments["segments"]][:2] == [
        "Bienvenidos al producto.",
        "Hoy tres novedades.",
    ]


def test_audition_speaks_the_line_with_the_dub_voice(client, auth, proofread_id, engines):
    complete(client, proofread_id)
    response = client.post(
        base(proofread_id) + "/audition",
        headers=auth,
        json={"index": 1, "translation": "Hoy cuatro funciones nuevas."},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    with client.app.state.context.db.session() as session:
        row = session.get(Proofread, proofread_id)
        spec = stored_spec("proofread", session.get(Batch, row.batch_id).request)
    assert spec.kind == "proofread" and data["voice_id"].startswith("kokoro:")
    url = urlparse(data["audio_url"])
    audio = client.get(f"{url.path}?{url.query}")
    assert audio.status_code == 200
    with wave.open(io.BytesIO(audio.content)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds == pytest.approx(data["duration"], abs=0.02) and seconds > 0.5
    # A line too long for its slot (2.3 s until the next line) is spoken faster than natural.
    text = "Bienvenidos a este producto nuevo y maravilloso hoy."
    long = client.post(
        base(proofread_id) + "/audition", headers=auth, json={"index": 0, "translation": text}
    ).json()["data"]
    engine, _, name = long["voice_id"].partition(":")
    natural = engines.synthesizers[engine].synthesize(text, language="es", voice=name, rate=1.0)
    assert natural.audio.duration > 2.3
    assert long["duration"] < natural.audio.duration * 0.9


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"index": 7}, "index"),
        ({"index": 0, "voice_id": "kokoro:no_such_voice"}, "voice_id"),
        ({"index": 0, "translation": "   "}, "translation"),
        ({"index": 0, "speed": 2}, "speed"),
    ],
)
def test_bad_auditions_are_refused(client, auth, proofread_id, body, param):
    complete(client, proofread_id)
    response = client.post(base(proofread_id) + "/audition", headers=auth, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_another_key_sees_no_segments(client, auth, make_key, proofread_id):
    complete(client, proofread_id)
    other = {"x-api-key": make_key("other")}
    for method, path, body in [
        ("GET", "/segments", None),
        ("PATCH", "/segments", {"segments": [{"index": 0, "translation": "x"}]}),
        ("POST", "/audition", {"index": 0}),
    ]:
        response = client.request(method, base(proofread_id) + path, headers=other, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
