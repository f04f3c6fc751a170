"""The face scan started after ingest (pipeline/face_scan_ahead.py): it leaves the scan the
lipsync stage would have made, and a failure, a cancel or the end of the run never leaves a
partial scan behind nor a stage waiting for ever."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.cancellation import CancelCheck, cancel_scope
from polydub.engines.face.store import LandmarkStore
from polydub.errors import JobCancelled
from polydub.media.probe import probe
from polydub.pipeline.artifacts import IngestArtifact
from polydub.pipeline.face_scan_ahead import FaceScanAhead
from polydub.pipeline.face_scan_cache import load_scan, scan_dir
from polydub.pipeline.lipsync import make_renderer, scan_faces

pytestmark = pytest.mark.integration


def _ingested(video) -> IngestArtifact:
    info = probe(video)
    return IngestArtifact(
        source=video, info=info, mixture_wav=video, range_start=0.0, range_end=info.duration
    )


class CancelAfter:
    """A job's should_cancel that turns true at its `calls`-th ask."""

    def __init__(self, calls: int) -> None:
        self.calls, self.asked = calls, 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.asked >= self.calls


def _left_in(cache) -> list:
    return sorted(p.name for p in cache.rglob("*")) if cache.exists() else []


@pytest.mark.parametrize("mode", ["speed", "precision"])
def test_the_scan_ahead_is_the_scan_the_stage_would_make(talking_face, tmp_path, mode):
    ahead = FaceScanAhead(tmp_path / "scans", mode, CancelCheck(lambda: False))
    ahead.start(_ingested(talking_face))
    ahead.wait()
    assert ahead.error is None
    found = load_scan(tmp_path / "scans", make_renderer(mode))
    assert found is not None
    store, openings = found
    inline_store = LandmarkStore(tmp_path)
    inline = scan_faces(talking_face, inline_store, make_renderer(mode))
    assert store.frames == inline_store.frames == 125
    assert openings.keys() == inline.keys()
    for track in inline:
        np.testing.assert_array_equal(openings[track], inline[track])
    store.close()
    inline_store.close()


def test_a_failed_scan_is_reported_and_leaves_no_scan(talking_face, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 1000)  # the file went bad after ingest
    ingested = _ingested(talking_face).model_copy(update={"source": broken})
    ahead = FaceScanAhead(tmp_path / "scans", "speed", CancelCheck(lambda: False))
    ahead.start(ingested)
    ahead.wait()  # returns: the stage then scans inline (and fails there with its own error)
    assert ahead.error is not None
    assert load_scan(tmp_path / "scans", make_renderer("speed")) is None


def test_a_cancelled_job_stops_the_scan_and_the_waiting_stage(talking_face, tmp_path):
    job = CancelCheck(CancelAfter(30), interval=0)  # about 30 frames in
    ahead = FaceScanAhead(tmp_path / "scans", "speed", job)
    ahead.start(_ingested(talking_face))
    with cancel_scope(job), pytest.raises(JobCancelled):
        ahead.wait()
    ahead.stop()
    assert ahead.error is None
    assert _left_in(tmp_path / "scans") == []  # no partial scan, no landmark file


def test_the_end_of_the_run_stops_a_running_scan(talking_face, tmp_path):
    ahead = FaceScanAhead(tmp_path / "scans", "speed", CancelCheck(lambda: False))
    ahead.start(_ingested(talking_face))
    ahead.stop()  # the run failed or ended before its lipsync stage
    assert ahead.error is None
    scan = scan_dir(tmp_path / "scans", make_renderer("speed"))
    # Stopped before its end, or finished first: never half a scan.
    assert not scan.exists() or (scan / "openings.npz").is_file()
    assert [n for n in _left_in(tmp_path / "scans") if n.endswith(".landmarks")] == []


def test_a_source_without_video_starts_nothing(tmp_path, talking_face):
    ingested = _ingested(talking_face)
    audio_only = ingested.model_copy(
        update={"info": ingested.info.model_copy(update={"video": None})}
    )
    ahead = FaceScanAhead(tmp_path / "scans", "speed", CancelCheck(lambda: False))
    ahead.start(audio_only)
    ahead.wait()
    ahead.stop()
    assert not (tmp_path / "scans").exists()
