"""A cancel during the lipsync stage stops it within a frame, run by the real runner: in the
render pass no frame after the cancel is drawn; in the scan, no partial scan is kept."""

from __future__ import annotations

import pytest
from face_clips import FPS, SECONDS
from stage_files import checkpoints, leftovers

from polydub import cancellation
from polydub.domain.timing import SegmentTiming, TimingPlan
from polydub.errors import JobCancelled
from polydub.media.probe import probe
from polydub.pipeline.artifacts import (
    FitArtifact,
    IngestArtifact,
    SeparationArtifact,
)
from polydub.pipeline.lipsync_stage import LipSyncArtifact, lipsync
from polydub.pipeline.runner import StageEvent, StageRunner
from polydub.pipeline.synthesize import LineSynthesizer

pytestmark = pytest.mark.integration

LINES = [(0.3, "Good morning, my friends."), (2.4, "Today we talk about maps and papers.")]


@pytest.fixture(autouse=True)
def ask_every_time(monkeypatch):
    # The check asks the job at every call here; the throttle has its own unit tests.
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


@pytest.fixture(scope="module")
def stage_inputs(talking_face, tmp_path_factory):
    """ingest, separation, fit and mix artifacts of two Piper lines over the talking face."""
    from polydub.engines.tts.piper import PiperSynthesizer

    root = tmp_path_factory.mktemp("lipsync-cancel")
    cache = LineSynthesizer({"piper": PiperSynthesizer()}, root / "lines")
    lines = [
        cache.speak(text, language="en", voice_id="piper:joe", rate=1.0, index=i)
        for i, (_, text) in enumerate(LINES)
    ]
    segments = []
    for (start, _), line in zip(LINES, lines, strict=True):
        end = start + line.duration
        segments.append(
            SegmentTiming(
                index=line.index,
                source_start=start,
                source_end=end,
                natural_duration=line.duration,
                rate=1.0,
                dub_duration=line.duration,
                output_start=start,
                output_end=end,
            )
        )
    plan = TimingPlan(
        segments=segments, source_duration=SECONDS, max_rate=1.25, dynamic_duration=False
    )
    ingested = IngestArtifact(
        source=talking_face,
        info=probe(talking_face),
        mixture_wav=talking_face,
        range_start=0.0,
        range_end=SECONDS,
    )
    separated = SeparationArtifact(
        speech_wav=talking_face,
        background_wav=talking_face,
        raw_speech_wav=talking_face,
        separator="none",
    )
    return ingested, separated, FitArtifact(plan=plan, lines=lines)


def _run_lipsync(runner: StageRunner, inputs, scan_cache):
    ingested, separated, fitted = inputs
    return runner.run(
        "lipsync",
        "en",
        {"mode": "speed"},
        lambda d: lipsync(
            ingested,
            separated,
            fitted,
            d,
            mode="speed",
            progress=runner.progress("lipsync", "en"),
            scan_cache=scan_cache,
        ),
        LipSyncArtifact,
    )


def test_a_cancel_in_the_render_pass_draws_no_further_frame(stage_inputs, tmp_path):
    # The render pass reports progress every 50 frames, from its first frame on.
    job = CancelOn(lambda e: e.stage == "lipsync" and e.status == "progress")
    runner = StageRunner(tmp_path, job.on_event, job)
    with pytest.raises(JobCancelled):
        _run_lipsync(runner, stage_inputs, tmp_path / "face-scans")
    fractions = [e.fraction for e in job.events if e.status == "progress"]
    assert fractions == [0.0]  # frames 50 and 100 (of 125) were never reached
    assert leftovers(runner.stage_dir("lipsync", "en")) == []  # no checkpoint, no partial video
    assert list((tmp_path / "face-scans").iterdir())  # the finished scan is kept for reuse


def test_a_cancel_in_the_scan_keeps_no_partial_scan(stage_inputs, tmp_path):
    job = CancelOn(lambda e: e.stage == "lipsync" and e.status == "start")
    runner = StageRunner(tmp_path, job.on_event, job)
    with pytest.raises(JobCancelled):
        _run_lipsync(runner, stage_inputs, tmp_path / "face-scans")
    assert [e.status for e in job.events] == ["start"]  # the render pass never began
    assert not (tmp_path / "face-scans").exists() or not list((tmp_path / "face-scans").iterdir())
    assert checkpoints(runner.stage_dir("lipsync", "en")) == []

    # Not cancelled, the same stage runs through and checkpoints.
    rerun = StageRunner(tmp_path)
    synced, _ = _run_lipsync(rerun, stage_inputs, tmp_path / "face-scans")
    assert synced.frames == int(SECONDS * FPS)
    assert len(checkpoints(rerun.stage_dir("lipsync", "en"))) == 1
