"""Request fields the pipeline honours, on a short generated clip: proofread edits (only the
edited line is re-synthesised), srt_role input/output, the user's own audio with fps_mode,
watermark, embedded captions and preferred stock voices.

All tests share one work root, so the source side (ingest .. diarize) runs once.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from polydub.domain.audio import Audio
from polydub.errors import InvalidInputError
from polydub.media.audio import decode_audio, write_wav
from polydub.media.ffmpeg import run_ffmpeg
from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.proofread import translate_only
from polydub.pipeline.voices import check_voice_ids
from polydub.samples import RATE, speech_track
from polydub.subtitles.captions import read_srt

pytestmark = pytest.mark.integration

LINES = ("Good morning, everyone.", "See you next time.")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """About 7 s: two short English lines 2 s apart over a test pattern, no music."""
    root = tmp_path_factory.mktemp("fields")
    speech, _ = speech_track(7.0, LINES, gap=2.2)
    wav = root / "speech.wav"
    write_wav(wav, speech)
    path = root / "clip.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=7", "-i", str(wav)]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    )
    return path


@pytest.fixture(scope="module")
def counted(engines):
    """Every Synthesizer.synthesize call of the real engines, as (engine, text, rate)."""
    calls: list[tuple[str, str, float]] = []
    originals = {}
    for name, engine in engines.synthesizers.items():
        originals[name] = engine.synthesize

        def counting(text, *, _name=name, _real=engine.synthesize, **kwargs):
            calls.append((_name, text, kwargs.get("rate", 1.0)))
            return _real(text, **kwargs)

        engine.synthesize = counting
    yield calls
    for name, engine in engines.synthesizers.items():
        engine.synthesize = originals[name]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("work")


def run(clip, options, engines, work, name):
    (result,) = dub(clip, options, engines, work_root=work, output_stem=work / "out" / name)
    return result


def stage_cached(result) -> dict[str, bool]:
    return {s["stage"]: s["cached"] for s in result.report["stages"]}


def probe_streams(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(out)["streams"]


SOURCE_SRT = (
    "1\n00:00:00,600 --> 00:00:02,100\nGood morning, everyone.\n\n"
    "2\n00:00:04,200 --> 00:00:05,300\nSee you next time.\n"
)


def test_an_edit_resynthesises_only_the_edited_line(clip, engines, work, counted, tmp_path):
    # Whisper keeps a clip this short as one segment; the source SRT gives it two lines.
    source_srt = tmp_path / "source.srt"
    source_srt.write_text(SOURCE_SRT, encoding="utf-8")
    base = DubOptions(targets=("es",), source_language="en", source_srt=source_srt)
    script = translate_only(clip, base, engines, work_root=work)["es"]
    assert len([s for s in script.segments if s.translation.strip()]) >= 2
    first = run(clip, base, engines, work, "plain")
    assert stage_cached(first)["translate"]  # the proofread's checkpoint was reused
    assert counted, "the first dub synthesised its lines"
    counted.clear()

    edited_index = script.segments[-1].index
    new_text = "Nos vemos muy pronto, amigos."
    edited = run(clip, replace(base, edits={"es": {edited_index: new_text}}), engines, work, "ed")
    spoken_texts = {text for _, text, _ in counted}
    assert spoken_texts == {new_text}, counted  # nothing else was re-spoken
    assert new_text in " ".join(c.text for c in read_srt(edited.srt)).replace("\n", " ")
    report_texts = {s["index"]: s["translation"] for s in edited.report["segments"]}
    assert report_texts[edited_index] == new_text
    assert stage_cached(edited)["translate"] and not stage_cached(edited)["synthesize"]


def test_watermark_and_embedded_captions(clip, engines, work):
    options = DubOptions(targets=("es",), source_language="en", watermark=True, embed_captions=True)
    result = run(clip, options, engines, work, "wm")
    assert not stage_cached(result)["render"]
    subtitles = [s for s in probe_streams(result.video) if s["codec_type"] == "subtitle"]
    assert [s["codec_name"] for s in subtitles] == ["mov_text"]

    # The mark changes the bottom-right corner and leaves the top-left alone.
    def frame(path):
        raw = run_ffmpeg(
            [
                "-ss",
                "1",
                "-i",
                str(path),
                "-frames:v",
                "1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "gray",
                "-",
            ]
        )
        return np.frombuffer(raw, np.uint8).reshape(240, 320).astype(float)

    original, marked = frame(clip), frame(result.video)
    corner = np.abs(original[200:, 220:] - marked[200:, 220:]).mean()
    elsewhere = np.abs(original[:60, :100] - marked[:60, :100]).mean()
    assert corner > 8 * max(elsewhere, 0.5), (corner, elsewhere)


def test_preferred_stock_voice_is_used_and_unknown_ids_refused(clip, engines, work):
    options = DubOptions(targets=("es",), source_language="en", voice_ids=("kokoro:jf_alpha",))
    result = run(clip, options, engines, work, "voice")
    assert set(result.report["engines"]["voices"].values()) == {"kokoro:jf_alpha"}
    check_voice_ids(["kokoro:jf_alpha", "espeak:female"], engines.synthesizers)
    with pytest.raises(InvalidInputError) as caught:
        check_voice_ids(["kokoro:nobody"], engines.synthesizers)
    assert caught.value.param == "stock_voice_config.preferred_stock_voice_ids"


def test_output_srt_is_the_translation(clip, engines, work, tmp_path):
    source_srt = tmp_path / "source.srt"
    source_srt.write_text(SOURCE_SRT, encoding="utf-8")
    srt_file = tmp_path / "es.srt"
    # Numbered from 7: output cues map to the source lines by time, not by number.
    srt_file.write_text(
        "7\n00:00:00,500 --> 00:00:02,000\nBuenos días a todos.\n\n"
        "8\n00:00:04,100 --> 00:00:05,200\nGracias por vernos.\n",
        encoding="utf-8",
    )
    options = DubOptions(
        targets=("es",), source_language="en", source_srt=source_srt, output_srt=srt_file
    )
    result = run(clip, options, engines, work, "outsrt")
    assert result.report["engines"]["translation"] == "srt"
    translations = [s["translation"] for s in result.report["segments"]]
    assert translations == ["Buenos días a todos.", "Gracias por vernos."]
    captions = " ".join(c.text for c in read_srt(result.srt)).replace("\n", " ")
    assert "Buenos días a todos." in captions and "Gracias por vernos." in captions


def test_input_srt_is_the_transcript(clip, engines, work, tmp_path):
    srt_file = tmp_path / "en.srt"
    srt_file.write_text(
        "1\n00:00:00,500 --> 00:00:02,100\nGood morning, team.\n\n"
        "2\n00:00:02,300 --> 00:00:04,000\nThanks for watching this.\n",
        encoding="utf-8",
    )
    options = DubOptions(targets=("en",), source_language="en", source_srt=srt_file)
    result = run(clip, options, engines, work, "insrt")
    segments = result.report["segments"]
    assert [s["text"] for s in segments] == ["Good morning, team.", "Thanks for watching this."]
    assert [s["start"] for s in segments] == [0.5, 2.3]
    assert not stage_cached(result)["transcribe"]  # a new transcript, not the ASR one


def test_user_audio_is_the_dub_track_and_fps_mode_applies(clip, engines, work, tmp_path):
    t = np.arange(int(3.0 * RATE)) / RATE
    tone = tmp_path / "dub.wav"
    write_wav(tone, Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE))
    options = DubOptions(
        targets=("es",), source_language="en", dub_audio=tone, fps_mode="cfr", keep_music=False
    )
    result = run(clip, options, engines, work, "audio")
    stages = stage_cached(result)
    assert "transcribe" not in stages and "translate" not in stages and "synthesize" not in stages
    assert result.report["engines"]["voices"] == {}
    audio = decode_audio(result.video, 16000, start=0.5, end=2.5).samples
    spectrum = np.abs(np.fft.rfft(audio))
    peak_hz = np.argmax(spectrum) * 16000 / len(audio)
    assert abs(peak_hz - 440) < 5, peak_hz
    video = next(s for s in probe_streams(result.video) if s["codec_type"] == "video")
    assert video["r_frame_rate"] == "25/1" and video["avg_frame_rate"] == "25/1"
    assert result.srt.read_text().strip() == ""  # no script: no captions


def test_odd_frame_size_is_rendered_even(clip, engines, work, tmp_path):
    """H.264 4:2:0 cannot hold 319x239: a re-encode (here for the watermark) pads a pixel."""
    odd = tmp_path / "odd.mp4"
    run_ffmpeg(
        ["-i", str(clip), "-vf", "scale=319:239", "-c:v", "libx264", "-pix_fmt", "yuv444p"]
        + ["-c:a", "copy", str(odd)]
    )
    options = DubOptions(targets=("es",), source_language="en", watermark=True)
    result = run(odd, options, engines, work, "odd")
    (video,) = [s for s in probe_streams(result.video) if s["codec_type"] == "video"]
    assert (video["width"], video["height"], video["pix_fmt"]) == (320, 240, "yuv420p")


@pytest.mark.parametrize("dynamic", [True, False])
def test_user_audio_longer_than_the_video(clip, engines, work, tmp_path, dynamic):
    """With dynamic duration the video is slowed to the audio's length (none of it is cut);
    without, the audio is cut at the video's end."""
    t = np.arange(int(9.0 * RATE)) / RATE
    tone = tmp_path / "long.wav"
    write_wav(tone, Audio((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE))
    options = DubOptions(
        targets=("es",), source_language="en", dub_audio=tone, keep_music=False,
        dynamic_duration=dynamic,
    )  # fmt: skip
    result = run(clip, options, engines, work, f"long-{dynamic}")
    streams = {s["codec_type"]: s for s in probe_streams(result.video)}
    expected = 9.0 if dynamic else 7.0
    assert float(streams["video"]["duration"]) == pytest.approx(expected, abs=0.15)
    assert float(streams["audio"]["duration"]) == pytest.approx(expected, abs=0.15)
    tail = decode_audio(result.video, 16000, start=expected - 1.0, end=expected - 0.2).samples
    assert np.sqrt(np.mean(tail**2)) > 0.05  # the tone still sounds near the end
