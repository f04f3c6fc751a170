"""`polydub translate` end to end on a generated 10-second talking clip, every option."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from spoken_clips import german_speech_clip
from stream_digests import stream_md5

from polydub.media.audio import decode_audio
from polydub.pipeline.dub import DubOptions, dub
from polydub.subtitles.captions import read_srt, read_vtt

pytestmark = pytest.mark.e2e

POLYDUB = [sys.executable, "-m", "polydub.cli"]


def probe_streams(path: Path) -> dict:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
            str(path),
        ],
        capture_output=True,
        check=True,
    ).stdout
    data = json.loads(out)
    streams = {s["codec_type"]: s for s in data["streams"]}
    return {"format": data["format"], **streams}


def video_md5(path: Path) -> str:
    """MD5 of the video stream's packets: equal only when the frames were not touched."""
    return stream_md5(path, "v")


def _cli(*args: str, env_data: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "POLYDUB_DATA_DIR": str(env_data)}
    return subprocess.run(
        [*POLYDUB, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=900
    )


def _check_outputs(stem: Path, code: str, source_duration: float, *, exact: bool = False):
    video = Path(f"{stem}.{code}.mp4")
    streams = probe_streams(video)
    assert "video" in streams and "audio" in streams
    duration = float(streams["format"]["duration"])
    report = json.loads(Path(f"{stem}.{code}.report.json").read_text())
    charts = Path(f"{stem}.{code}.report.html").read_text()  # the same report, drawn
    assert charts.count("<svg") >= 3 and f"→ {report['target']}" in charts
    timing = report["timing"]
    assert timing["truncated_segments"] == 0
    assert timing["dropped_segments"] == 0
    assert timing["overlapping_segments"] == 0
    assert duration == pytest.approx(timing["output_duration"], abs=0.15)
    if exact:
        assert duration == pytest.approx(source_duration, abs=0.1)
    else:
        assert duration >= source_duration - 0.1
    srt_cues, vtt_cues = read_srt(f"{stem}.{code}.srt"), read_vtt(f"{stem}.{code}.vtt")
    assert srt_cues and [c.text for c in srt_cues] == [c.text for c in vtt_cues]
    assert srt_cues[-1].end <= duration + 0.05
    assert report["loudness_lufs"] == pytest.approx(-16.0, abs=1.5)
    return report


def test_translate_two_languages_then_resume(talking_clip, tmp_path):
    clip, _ = talking_clip
    out = tmp_path / "out"
    data = tmp_path / "data"
    done = _cli(
        "translate",
        str(clip),
        "--to",
        "Spanish",
        "--to",
        "Portuguese",
        "-o",
        str(out),
        env_data=data,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for code in ("es", "pt"):
        report = _check_outputs(out / "talk", code, 10.0)
        assert report["source"]["language"] == "en"
        assert report["source"]["language_detected"] is True
        # The ASR round trip must understand most of the dub.
        assert report["intelligibility"]["wer"] < 0.6, report["intelligibility"]
    assert "WER" in done.stderr  # the summary is printed
    # Rerun: every stage comes from its checkpoint.
    again = _cli("translate", str(clip), "--to", "Spanish", "-o", str(out), env_data=data)
    assert again.returncode == 0, again.stderr[-3000:]
    stages = json.loads((out / "talk.es.report.json").read_text())["stages"]
    assert stages and all(s["cached"] for s in stages)


def test_interrupted_run_resumes_and_urls_are_fetched(talking_clip, tmp_path):
    """Kill a run after separation; rerun from an http URL of the same file: the finished
    stages come from their checkpoints and the job completes."""
    import functools
    import http.server
    import os
    import signal
    import threading
    import time

    clip, _ = talking_clip
    data, out = tmp_path / "data", tmp_path / "out"
    env = {**os.environ, "POLYDUB_DATA_DIR": str(data)}
    proc = subprocess.Popen(
        [*POLYDUB, "translate", str(clip), "--to", "Spanish", "-o", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    while not list(data.glob("work/*/source/separate/*/done.json")):
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "talk.es.mp4").exists()

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(clip.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{clip.name}"
        done = _cli("translate", url, "--to", "Spanish", "-o", str(out), env_data=data)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr[-3000:]
    stages = {
        s["stage"]: s["cached"]
        for s in json.loads((out / "talk.es.report.json").read_text())["stages"]
    }
    assert stages["ingest"] and stages["separate"]
    assert not stages["translate"]
    _check_outputs(out / "talk", "es", 10.0)


@pytest.fixture(scope="module")
def run_dub(engines, talking_clip, tmp_path_factory):
    """Dubs the talking clip with other options. The runs share one work root, as a user's
    reruns with other options do: the source's stages (separation, transcription, speakers)
    are reused and only what an option changes is made again."""
    clip, _ = talking_clip
    work = tmp_path_factory.mktemp("work")

    def run(name: str, **kwargs):
        out = tmp_path_factory.mktemp(name)
        options = DubOptions(targets=kwargs.pop("targets", ("es",)), **kwargs)
        (result,) = dub(clip, options, engines, work_root=work, output_stem=out / "talk")
        return result

    return run


def test_audio_only_keeps_frames(run_dub, talking_clip):
    clip, _ = talking_clip
    result = run_dub("audio_only", audio_only=True)
    assert video_md5(result.video) == video_md5(clip)
    assert result.report["timing"]["video_stretches"] == 0


def test_fixed_duration_keeps_length(run_dub):
    result = run_dub("fixed", dynamic_duration=False)
    _check_outputs(result.video.with_suffix("").with_suffix(""), "es", 10.0, exact=True)


def test_range_leaves_the_rest_untouched(run_dub, talking_clip):
    clip, timeline = talking_clip
    first_end = timeline[0][1]
    start = first_end + 0.3  # translate from after the first line
    result = run_dub("range", start=start, end=10.0, dynamic_duration=False)
    segs = result.report["segments"]
    assert segs and all(s["start"] >= start - 0.05 for s in segs)
    src = decode_audio(clip, 16000, end=first_end).samples
    dub_audio = decode_audio(result.video, 16000, end=first_end).samples
    n = min(len(src), len(dub_audio))
    corr = np.corrcoef(src[:n], dub_audio[:n])[0, 1]
    assert corr > 0.95  # the first line is still the original speech


def test_no_music_silences_the_background(run_dub, talking_clip):
    with_music = run_dub("music")
    without = run_dub("nomusic", keep_music=False)

    def gap_energy(result):
        """RMS where no dubbed line sounds: before, between and after the lines."""
        audio = decode_audio(result.video, 16000).samples
        segs = result.report["plan"]["segments"]
        bounds = [0.0] + [t for s in segs for t in (s["output_start"], s["output_end"])]
        bounds.append(len(audio) / 16000)
        gaps = [(a + 0.05, b - 0.05) for a, b in zip(bounds[::2], bounds[1::2], strict=True)]
        gaps = [(a, b) for a, b in gaps if b - a > 0.1]
        assert gaps
        return float(
            np.mean(
                [np.sqrt(np.mean(audio[int(a * 16000) : int(b * 16000)] ** 2)) for a, b in gaps]
            )
        )

    assert gap_energy(without) < 0.2 * gap_energy(with_music)
    assert without.report["music_kept"] is False


def test_enhance_uses_the_denoiser(run_dub):
    result = run_dub("enhance", enhance=True)
    assert result.report["engines"]["enhancement"] == "deepfilter"
    assert result.report["timing"]["truncated_segments"] == 0


def test_keep_format_matches_the_source(run_dub, talking_clip):
    clip, _ = talking_clip
    result = run_dub("keep", keep_format=True)
    src, out = probe_streams(clip), probe_streams(result.video)
    for key in ("codec_name", "width", "height", "pix_fmt"):
        assert out["video"][key] == src["video"][key]
    assert out["video"]["avg_frame_rate"] == src["video"]["avg_frame_rate"]
    assert out["audio"]["codec_name"] == src["audio"]["codec_name"]
    assert out["audio"]["sample_rate"] == src["audio"]["sample_rate"]


def test_speakers_and_precision_mode(engines, tmp_path):
    """A two-person dialogue with --speakers 2 in precision mode: each gets their own voice."""
    from polydub.samples import make_talking_clip

    clip = tmp_path / "dialogue.mp4"
    timeline = make_talking_clip(clip, 16.0, dialogue=True)
    assert len(timeline) >= 3
    options = DubOptions(targets=("es",), speakers=2, mode="precision")
    (result,) = dub(
        clip, options, engines, work_root=tmp_path / "work", output_stem=tmp_path / "dialogue"
    )
    report = result.report
    assert report["source"]["speakers"] == ["SPEAKER_00", "SPEAKER_01"]
    assert len(set(report["engines"]["voices"].values())) == 2
    # Lines alternate between the two people: consecutive lines have different speakers.
    speakers = [s["speaker"] for s in report["segments"]]
    assert all(a != b for a, b in zip(speakers, speakers[1:], strict=False)), speakers


def test_glossary_is_enforced(run_dub, tmp_path):
    from polydub.pipeline.glossary import load_glossary_csv

    csv = tmp_path / "terms.csv"
    csv.write_text("source,target\nproduct,Polydub\n")
    result = run_dub("glossary", glossary=load_glossary_csv(csv))
    joined = " ".join(s["translation"] for s in result.report["segments"])
    assert "Polydub" in joined
    assert result.report["glossary_misses"] == []


def test_portuguese_source_to_english(engines, tmp_path):
    """PT->EN, the other bundled direction, from speech the bundled Kokoro voice makes."""
    from polydub.domain.audio import Audio
    from polydub.media.audio import resample, write_wav
    from polydub.media.ffmpeg import run_ffmpeg

    kokoro = engines.synthesizers["kokoro"]
    speech = kokoro.synthesize(
        "Bom dia a todos. Hoje vamos falar sobre o nosso novo produto.",
        language="pt",
        voice=kokoro.voices("pt")[0].name,
    )
    audio = resample(speech.audio, 48000)
    pad = np.zeros(24000, np.float32)
    wav = write_wav(tmp_path / "pt.wav", Audio(np.concatenate([pad, audio.samples, pad]), 48000))
    clip = tmp_path / "pt.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=320x240:r=25",
            "-i",
            str(wav),
            "-shortest",
            "-c:v",
            "libx264",
            "-c:a",
            "aac",
            str(clip),
        ]
    )
    (result,) = dub(
        clip,
        DubOptions(targets=("en",), source_language="pt"),
        engines,
        work_root=tmp_path / "work",
        output_stem=tmp_path / "pt",
    )
    text = " ".join(s["translation"] for s in result.report["segments"]).lower()
    assert "good morning" in text or "today" in text
    assert result.report["timing"]["truncated_segments"] == 0


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        ("noaudio", "no audio track"),
        ("novideo", "no video stream"),
        ("garbage", "cannot decode"),
    ],
)
def test_bad_input_is_refused_clearly(tmp_path, make, expected):
    from polydub.media.ffmpeg import run_ffmpeg

    path = tmp_path / f"{make}.mp4"
    if make == "noaudio":
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:d=2", "-c:v", "libx264", str(path)])
    elif make == "novideo":
        path = tmp_path / "novideo.m4a"
        run_ffmpeg(["-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(path)])
    else:
        path.write_bytes(b"\x00\x01not a video" * 1000)
    done = _cli("translate", str(path), "--to", "Spanish", env_data=tmp_path / "data")
    assert done.returncode == 2
    assert expected in done.stderr


@pytest.mark.parametrize("source", [("--source-language", "English"), ()])
def test_unservable_target_is_refused_before_work(tmp_path, talking_clip, source):
    clip, _ = talking_clip
    done = _cli(
        "translate", str(clip), "--to", "Spanish", "--to", "Japanese", *source,
        env_data=tmp_path / "data",
    )  # fmt: skip
    assert done.returncode == 2
    assert "Japanese" in done.stderr and "POLYDUB_OPENAI_BASE_URL" in done.stderr
    assert not (tmp_path / "data" / "work").exists()


def test_a_source_no_route_leaves_is_heard_and_refused_before_work(tmp_path):
    """No --source-language: the first seconds are listened to, and German speech asked for
    in Spanish (no German pair here) is refused before the pipeline starts."""
    clip = german_speech_clip(tmp_path)
    done = _cli("translate", str(clip), "--to", "Spanish", env_data=tmp_path / "data")
    assert done.returncode == 2
    assert "sounds German" in done.stderr and "German -> Spanish" in done.stderr
    assert not (tmp_path / "data" / "work").exists()
