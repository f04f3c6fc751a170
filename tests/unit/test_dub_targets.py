"""dub(): with an error handler, one target that fails never stops the others."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest

from polydub.errors import EngineError, JobCancelled
from polydub.pipeline import dub as dub_module
from polydub.pipeline.dub_options import DubOptions


@pytest.fixture
def sides(monkeypatch):
    """The source side and each target's side replaced by records of what ran; "fr" fails."""
    ran: list[str] = []

    def target_side(runner, shared, target, options, engines, extension):
        ran.append(target)
        if target == "fr":
            raise EngineError("no voice for fr")
        if target == "xx":
            raise JobCancelled("cancelled")
        return target

    monkeypatch.setattr(dub_module, "run_source_side", lambda *a: "shared")
    monkeypatch.setattr(dub_module, "run_target_side", target_side)
    monkeypatch.setattr(dub_module, "build_report", lambda shared, dubbed, **kw: {"t": dubbed})
    monkeypatch.setattr(dub_module, "publish", lambda dubbed, report, stem, ext: dubbed)
    monkeypatch.setattr(dub_module, "engine_names", lambda shared, dubbed: {})
    return ran


def _dub(tmp_path, targets, **kwargs):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not decoded: the sides are replaced")
    options = DubOptions(targets=targets)
    engines = SimpleNamespace(models_in_use=lambda names: [], lipsync_model=None)
    return dub_module.dub(
        clip, options, engines, work_root=tmp_path / "work", output_stem=tmp_path / "out", **kwargs
    )


def test_a_failing_target_is_handed_over_and_the_rest_still_dub(tmp_path, sides):
    failures = {}
    results = _dub(tmp_path, ("es", "fr", "pt"), on_target_error=failures.__setitem__)
    assert results == ["es", "pt"]
    assert sides == ["es", "fr", "pt"]
    assert list(failures) == ["fr"] and "no voice" in str(failures["fr"])


def test_without_a_handler_the_first_failure_raises(tmp_path, sides):
    with pytest.raises(EngineError):
        _dub(tmp_path, ("fr", "es"))
    assert sides == ["fr"]


def test_cancellation_is_never_swallowed(tmp_path, sides):
    with pytest.raises(JobCancelled):
        _dub(tmp_path, ("xx", "es"), on_target_error=lambda target, exc: None)
    assert sides == ["xx"]


@pytest.mark.parametrize(
    ("case", "flags", "stop_after", "model", "scans_ahead"),
    [
        ("a video dub", {}, None, None, True),
        ("audio only", {"audio_only": True}, None, None, False),
        ("stops after mix (lipsync elsewhere)", {}, "mix", None, False),
        ("stops after render", {}, "render", None, True),
        ("a neural model needs the dub's speech", {}, None, "wav2lip.onnx", False),
    ],
)
def test_the_face_scan_starts_ahead_only_where_this_run_lip_syncs(
    case, flags, stop_after, model, scans_ahead
):
    options = DubOptions(targets=("es",), **flags)
    engines = SimpleNamespace(lipsync_model=model)
    assert dub_module._lipsync_runs(options, engines, stop_after) is scans_ahead


class ScanRecord:
    """Stands in for the background face scan: records what dub() asks of it."""

    calls: list[str] = []

    def __init__(self, cache, mode, cancel) -> None:
        ScanRecord.calls = ["made"]

    def wait(self) -> None:
        self.calls.append("wait")

    def stop(self) -> None:
        self.calls.append("stop")


@pytest.mark.parametrize(
    ("case", "stop_after", "scan_for_later", "targets", "calls"),
    [
        ("a whole dub: its lipsync waited, the end stops it", None, False, ("es",), ["stop"]),
        ("a worker's first step keeps it for the next", "mix", True, ("es",), ["wait", "stop"]),
        ("a failed run stops it at once", "mix", True, ("fr",), ["stop"]),
    ],
)
def test_the_run_ends_its_face_scan(
    tmp_path, sides, monkeypatch, case, stop_after, scan_for_later, targets, calls
):
    monkeypatch.setattr(dub_module, "FaceScanAhead", ScanRecord)
    with contextlib.suppress(EngineError):
        _dub(tmp_path, targets, stop_after=stop_after, scan_for_later=scan_for_later)
    assert ScanRecord.calls == ["made", *calls]


class WarmupRecord:
    """Stands in for the engine warmup: records whether dub() said the workspace separated."""

    separated: list[bool] = []

    def __init__(self, options, engines, cancel, *, separated_before: bool) -> None:
        WarmupRecord.separated.append(separated_before)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def test_a_rerun_of_a_separated_source_warms_no_separator(tmp_path, sides, monkeypatch):
    monkeypatch.setattr(dub_module, "EngineWarmup", WarmupRecord)
    WarmupRecord.separated = []
    _dub(tmp_path, ("es",))
    workspace = dub_module.workspace_for(tmp_path / "clip.mp4", tmp_path / "work")
    (workspace / "source" / "separate").mkdir(parents=True)  # what a first run leaves
    _dub(tmp_path, ("es",))
    assert WarmupRecord.separated == [False, True]
