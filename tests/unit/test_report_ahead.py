"""The report's measurements started once mix is done (pipeline/report_ahead.py): the report
stage gets what they made, a failure leaves the stage to measure inline, and a cancel or the
end of the target's run stops them; and the report stage's key is known before render runs,
so a resumed run whose report is checkpointed starts nothing."""

from __future__ import annotations

import threading

import pytest

from polydub.cancellation import CancelCheck, cancel_scope, raise_if_cancelled
from polydub.errors import JobCancelled
from polydub.pipeline.quality import IntelligibilityReport, QualityArtifact, TimingReport
from polydub.pipeline.report_ahead import QualityAhead
from polydub.pipeline.runner import StageRunner


def _quality(wer: float = 0.02) -> QualityArtifact:
    timing = TimingReport(
        segments=0, rate_per_segment=[], rate_p95=1.0, rate_max=1.0, start_drift_p95=0.0,
        start_drift_max=0.0, truncated_segments=0, dropped_segments=0, overlapping_segments=0,
        source_duration=1.0, output_duration=1.0, duration_change=0.0, video_stretches=0,
        max_video_slowdown=1.0,
    )  # fmt: skip
    heard = IntelligibilityReport(wer=wer, reference_words=3, hypothesis="")
    return QualityArtifact(timing=timing, intelligibility=heard)


def _never() -> CancelCheck:
    return CancelCheck(lambda: False)


class Looping:
    """A measurement that runs until it is stopped, checking the cancel as a real one does."""

    def __init__(self) -> None:
        self.started, self.stopped = threading.Event(), threading.Event()

    def __call__(self) -> QualityArtifact:
        self.started.set()
        try:
            while True:
                raise_if_cancelled()
                threading.Event().wait(0.01)
        finally:
            self.stopped.set()


def test_the_report_stage_gets_what_the_background_measured():
    measured = _quality(0.125)
    ahead = QualityAhead(lambda: measured, _never(), "es").start()
    assert ahead.result() is measured
    assert ahead.error is None


def test_a_failed_measurement_leaves_the_stage_to_measure_inline():
    def broken() -> QualityArtifact:
        raise RuntimeError("the mix went missing")

    ahead = QualityAhead(broken, _never(), "es").start()
    assert ahead.result() is None
    assert "mix went missing" in str(ahead.error)


def test_a_cancelled_job_stops_the_measurement_and_the_waiting_stage():
    cancelled = threading.Event()
    job = CancelCheck(cancelled.is_set, interval=0)
    measure = Looping()
    ahead = QualityAhead(measure, job, "es").start()
    assert measure.started.wait(5)
    cancelled.set()
    with cancel_scope(job), pytest.raises(JobCancelled):
        ahead.result()
    ahead.stop()
    assert measure.stopped.is_set() and ahead.error is None


def test_the_end_of_the_targets_run_stops_a_running_measurement():
    measure = Looping()
    ahead = QualityAhead(measure, _never(), "es").start()
    assert measure.started.wait(5)
    ahead.stop()  # lipsync or render failed: nobody will take the result
    assert measure.stopped.is_set()
    assert ahead.result() is None and ahead.error is None


def test_a_stages_key_and_reuse_are_known_before_it_runs(tmp_path):
    runner = StageRunner(tmp_path)
    inputs = {"up": "k-render"}
    assert not runner.reuses("report", "es", inputs, QualityArtifact)
    expected = runner.key("report", inputs)
    _, key = runner.run("report", "es", inputs, lambda d: _quality(), QualityArtifact)
    assert key == expected
    assert runner.reuses("report", "es", inputs, QualityArtifact)
    assert not runner.reuses("report", "es", {"up": "another render"}, QualityArtifact)
    assert not runner.reuses("report", "fr", inputs, QualityArtifact)
