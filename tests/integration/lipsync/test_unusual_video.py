"""Video as phones and screen recorders make it: rotation metadata, odd frame sizes and a
variable frame rate. The lip-sync engine reads frames upright on a constant-rate grid, writes
sizes H.264 can hold, and the mouth still follows the new speech."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from face_clips import FPS, HEIGHT, SECONDS, WIDTH
from rich.console import Console

from polydub.cli_lipsync import run_lipsync
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.frames import read_frames, video_format
from polydub.pipeline.sync_score import score_video

pytestmark = pytest.mark.integration


def video_stream(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_streams", "-of", "json"]
        + [str(path)],
        capture_output=True,
        check=True,
    ).stdout
    return json.loads(out)["streams"][0]


@pytest.fixture(scope="module")
def rotated(talking_face, tmp_path_factory) -> Path:
    """Stored sideways (as a phone held upright records), displayed upright by its metadata."""
    root = tmp_path_factory.mktemp("rotated")
    sideways = root / "sideways.mp4"
    run_ffmpeg(["-i", str(talking_face), "-vf", "transpose=2", "-c:a", "copy", str(sideways)])
    path = root / "rotated.mp4"
    run_ffmpeg(["-i", str(sideways), "-c", "copy", "-metadata:s:v:0", "rotate=270", str(path)])
    return path


@pytest.fixture(scope="module")
def variable_rate(talking_face, tmp_path_factory) -> Path:
    """Frames 5..9 of every 25 dropped, the others at their own times: 20 fps on average."""
    path = tmp_path_factory.mktemp("vfr") / "vfr.mp4"
    run_ffmpeg(
        ["-i", str(talking_face), "-vf", r"select='not(between(mod(n\,25)\,5\,9))'"]
        + ["-vsync", "vfr", "-c:a", "copy", str(path)]
    )
    return path


def synced(video: Path, dub_wav: Path, out: Path) -> Path:
    run_lipsync(video, dub_wav, out, mode="speed", console=Console(quiet=True))
    return out


def test_rotated_video_is_read_and_written_upright(talking_face, rotated, dub_wav, tmp_path):
    assert video_stream(rotated)["width"] == HEIGHT  # stored sideways
    fmt = video_format(rotated)
    assert (fmt.width, fmt.height, fmt.rotation) == (WIDTH, HEIGHT, 270)
    upright = next(f.rgb for f in read_frames(rotated) if f.index == 10)
    original = next(f.rgb for f in read_frames(talking_face) if f.index == 10)
    assert np.abs(upright.astype(int) - original).mean() < 2.0

    out = synced(rotated, dub_wav, tmp_path / "out.mp4")
    stream = video_stream(out)
    assert (stream["width"], stream["height"]) == (WIDTH, HEIGHT)
    assert not stream.get("side_data_list")  # upright pixels need no rotation
    score = score_video(out)
    assert score.correlation > 0.75 and abs(score.lag_frames) <= 1


def test_odd_frame_size_is_padded_to_even(talking_face, dub_wav, tmp_path):
    odd = tmp_path / "odd.mp4"
    run_ffmpeg(
        ["-i", str(talking_face), "-vf", f"scale={WIDTH - 1}:{HEIGHT - 1}"]
        + ["-c:v", "libx264", "-pix_fmt", "yuv444p", "-c:a", "copy", str(odd)]
    )
    out = synced(odd, dub_wav, tmp_path / "out.mp4")
    stream = video_stream(out)
    assert (stream["width"], stream["height"], stream["pix_fmt"]) == (WIDTH, HEIGHT, "yuv420p")
    score = score_video(out)
    assert score.correlation > 0.75 and abs(score.lag_frames) <= 1


def test_variable_frame_rate_is_put_on_a_constant_grid(talking_face, variable_rate, dub_wav):
    assert float(video_stream(variable_rate)["nb_frames"]) < SECONDS * FPS * 0.85
    frames = list(read_frames(variable_rate))
    assert len(frames) == int(SECONDS * FPS)
    assert [f.time for f in frames[:3]] == pytest.approx([0.0, 1 / FPS, 2 / FPS])
    # A dropped frame's slot holds the frame before the gap.
    original = {f.index: f.rgb for f in read_frames(talking_face) if f.index in (4, 20)}
    assert np.abs(frames[7].rgb.astype(int) - original[4]).mean() < 2.0
    assert np.abs(frames[20].rgb.astype(int) - original[20]).mean() < 2.0


def test_variable_frame_rate_lip_sync_keeps_time(variable_rate, dub_wav, tmp_path):
    out = synced(variable_rate, dub_wav, tmp_path / "out.mp4")
    stream = video_stream(out)
    assert stream["avg_frame_rate"] == "25/1" and int(stream["nb_frames"]) == int(SECONDS * FPS)
    score = score_video(out)
    assert score.correlation > 0.75 and abs(score.lag_frames) <= 1
