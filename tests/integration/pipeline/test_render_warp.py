"""Rendering with a video slow-down: the picture and the soundtrack come out equally long."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from render_inputs import ingested_and_translated

from polydub.domain.audio import Audio
from polydub.domain.timing import SegmentTiming, TimingPlan, VideoStretch
from polydub.media.audio import write_wav
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.probe import probe
from polydub.pipeline.artifacts import (
    FitArtifact,
    MixArtifact,
)
from polydub.pipeline.render import render

pytestmark = pytest.mark.integration


def _frames(path) -> int:
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-print_format",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return int(json.loads(out)["streams"][0]["nb_read_frames"])


def test_slowed_stretch_lengthens_video_to_the_plan(tmp_path):
    clip = tmp_path / "clip.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x240:r=25:d=4",
            "-f",
            "lavfi",
            "-i",
            "sine=d=4",
            "-c:v",
            "libx264",
            "-c:a",
            "aac",
            "-shortest",
            str(clip),
        ]
    )
    plan = TimingPlan(
        segments=[
            SegmentTiming(
                index=0,
                source_start=1.0,
                source_end=1.8,
                natural_duration=1.5,
                rate=1.0,
                dub_duration=1.5,
                output_start=1.0,
                output_end=2.5,
            )
        ],
        stretches=[VideoStretch(start=1.0, end=2.0, factor=1.5)],
        source_duration=4.0,
        max_rate=1.25,
        dynamic_duration=True,
    )
    assert plan.output_duration == pytest.approx(4.5)
    mix = write_wav(tmp_path / "mix.wav", Audio(np.zeros(int(4.5 * 48000), np.float32), 48000))
    ingested, translated = ingested_and_translated(clip, mix, 4.0)
    fitted = FitArtifact(plan=plan, lines=[])
    mixed = MixArtifact(mix_wav=mix, dub_wav=mix, integrated_lufs=-16.0, music_kept=True)
    out = render(ingested, translated, fitted, mixed, tmp_path, keep_format=False)
    assert out.reencoded_video
    info = probe(out.video)
    assert info.duration == pytest.approx(4.5, abs=0.08)
    assert _frames(out.video) == pytest.approx(4.5 * 25, abs=2)
    assert out.srt.read_text().count("hola") == 1
