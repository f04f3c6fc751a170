"""A cancel while a long stage runs stops it there: real stages, run by the real runner.

Each test cancels the job once the stage has started (seen from its events) and checks that
the stage stopped early, raised JobCancelled and left no checkpoint behind. The check asks
the job at every call here (interval 0); the throttle has its own unit tests.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from render_inputs import ingested_and_translated
from stage_files import leftovers

from polydub import cancellation
from polydub.domain.audio import Audio
from polydub.domain.timing import SegmentTiming, TimingPlan, VideoStretch
from polydub.domain.transcript import Segment
from polydub.errors import JobCancelled
from polydub.media.audio import read_wav, write_wav
from polydub.media.ffmpeg import run_ffmpeg
from polydub.pipeline.artifacts import (
    FitArtifact,
    MixArtifact,
    RenderArtifact,
    SynthesisArtifact,
    TranslationArtifact,
)
from polydub.pipeline.render import render
from polydub.pipeline.runner import StageEvent, StageRunner
from polydub.pipeline.synthesize import LineSynthesizer, synthesize

pytestmark = pytest.mark.integration

LINES = [
    "Good morning, and welcome to the harbour.",
    "The boats leave at nine o'clock sharp.",
    "Bring a warm coat, the wind is strong.",
    "We will stop at the lighthouse for lunch.",
    "The island has a small museum of maps.",
    "Please keep your tickets until the end.",
    "The return trip takes about two hours.",
    "Thank you, and enjoy the day on the water.",
]


@pytest.fixture(autouse=True)
def ask_every_time(monkeypatch):
    monkeypatch.setattr(cancellation, "DEFAULT_INTERVAL_S", 0.0)


class CancelOn:
    """A job's should_cancel that turns true at the first event matching `when`."""

    def __init__(self, when) -> None:
        self.when = when
        self.cancelled = False
        self.events: list[StageEvent] = []

    def on_event(self, event: StageEvent) -> None:
        self.events.append(event)
        if self.when(event):
            self.cancelled = True

    def __call__(self) -> bool:
        return self.cancelled


def _children_named(name: str) -> list[int]:
    """Child processes of this one called `name`, zombies included (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()  # "pid (comm) state ppid ..."
        except OSError:
            continue
        comm, _, rest = text.partition("(")[2].rpartition(")")
        if comm == name and int(rest.split()[1]) == os.getpid():
            found.append(int(stat.parent.name))
    return found


def test_synthesize_stops_after_the_lines_in_hand(tmp_path):
    from polydub.engines.tts.piper import PiperSynthesizer

    translated = TranslationArtifact(
        source_language="es",
        target_language="en",
        engine="test",
        segments=[
            Segment(index=i, start=3.0 * i, end=3.0 * i + 2.5, text="-", translation=text)
            for i, text in enumerate(LINES)
        ],
    )
    job = CancelOn(lambda e: e.stage == "synthesize" and e.status == "progress")
    runner = StageRunner(tmp_path / "work", job.on_event, job)
    lines = LineSynthesizer({"piper": PiperSynthesizer()}, tmp_path / "lines")

    with pytest.raises(JobCancelled):
        runner.run(
            "synthesize",
            "en",
            {"lines": LINES},
            lambda d: synthesize(
                translated,
                ["SPEAKER_00"],
                lines=lines,
                assign_voices=lambda speakers: {s: "piper:joe" for s in speakers},
                workers=2,
                progress=runner.progress("synthesize", "en"),
            ),
            SynthesisArtifact,
        )

    # The first batch (two lines, one per worker) was spoken; the cancel came with its
    # progress event, and no line after it was started.
    spoken = sorted((tmp_path / "lines").glob("*.wav"))
    assert len(spoken) == 2 < len(LINES)
    assert all(read_wav(path).duration > 0.5 for path in spoken)  # finished lines only
    assert [e.fraction for e in job.events if e.status == "progress"] == [2 / len(LINES)]
    assert leftovers(runner.stage_dir("synthesize", "en")) == []  # no checkpoint, no leftovers


@pytest.fixture(scope="module")
def long_render(tmp_path_factory):
    """Inputs of a render that re-encodes 20 s of 720p video (a slow-down forces it)."""
    root = tmp_path_factory.mktemp("render")
    clip = root / "clip.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=20"]
        + ["-f", "lavfi", "-i", "sine=d=20", "-c:v", "libx264", "-preset", "ultrafast"]
        + ["-c:a", "aac", "-shortest", str(clip)]
    )
    timing = SegmentTiming(
        index=0,
        source_start=1.0,
        source_end=1.8,
        natural_duration=1.5,
        rate=1.0,
        dub_duration=1.5,
        output_start=1.0,
        output_end=2.5,
    )
    plan = TimingPlan(
        segments=[timing],
        stretches=[VideoStretch(start=1.0, end=2.0, factor=1.5)],
        source_duration=20.0,
        max_rate=1.25,
        dynamic_duration=True,
    )
    mix = write_wav(root / "mix.wav", Audio(np.zeros(int(20.5 * 48000), np.float32), 48000))
    ingested, translated = ingested_and_translated(clip, mix, 20.0)
    mixed = MixArtifact(mix_wav=mix, dub_wav=mix, integrated_lufs=-16.0, music_kept=True)
    return ingested, translated, FitArtifact(plan=plan, lines=[]), mixed


def test_render_kills_its_ffmpeg(tmp_path, long_render):
    ingested, translated, fitted, mixed = long_render
    seen: list[int] = []

    def cancel_once_ffmpeg_runs() -> None:
        # The stage has started when its encoder runs: that is when the user deletes the job.
        while not (pids := _children_named("ffmpeg")):
            threading.Event().wait(0.005)
        seen.extend(pids)
        job.cancelled = True

    def watch(event: StageEvent) -> bool:
        if event.stage == "render" and event.status == "start":
            threading.Thread(target=cancel_once_ffmpeg_runs, daemon=True).start()
        return False

    job = CancelOn(watch)
    runner = StageRunner(tmp_path, job.on_event, job)
    with pytest.raises(JobCancelled):
        runner.run(
            "render",
            "es",
            {"ext": ".mp4"},
            lambda d: render(ingested, translated, fitted, mixed, d, keep_format=False),
            RenderArtifact,
        )
    assert seen, "ffmpeg was never seen running"
    assert _children_named("ffmpeg") == []  # killed and reaped
    assert leftovers(runner.stage_dir("render", "es")) == []  # no half-written video.mp4
    assert [e.status for e in job.events] == ["start"]  # never "done"
