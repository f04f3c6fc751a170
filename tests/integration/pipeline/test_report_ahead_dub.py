"""The report's measurements started after mix (pipeline/report_ahead.py), in whole dubs of a
short clip: the report they make is the one an inline report stage makes, a failed one is
remade inline, and a resumed run whose report is checkpointed starts none."""

from __future__ import annotations

from pathlib import Path

import pytest

from polydub.media.audio import write_wav
from polydub.media.ffmpeg import run_ffmpeg
from polydub.pipeline import target_side
from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.report_ahead import QualityAhead
from polydub.samples import speech_track

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """About 6 s: two short English lines over a test pattern."""
    root = tmp_path_factory.mktemp("report-ahead")
    speech, _ = speech_track(6.0, ("Good morning, everyone.", "See you next time."), gap=2.0)
    write_wav(root / "speech.wav", speech)
    path = root / "clip.mp4"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=6", "-i", str(root / "speech.wav")]
        + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    )
    return path


@pytest.fixture
def started(monkeypatch) -> list[QualityAhead]:
    """Every background measurement the target side starts."""
    made: list[QualityAhead] = []

    class Recorded(QualityAhead):
        def start(self) -> QualityAhead:
            made.append(self)
            return super().start()

    monkeypatch.setattr(target_side, "QualityAhead", Recorded)
    return made


def _dub(clip: Path, engines, work: Path, **options):
    (result,) = dub(
        clip,
        DubOptions(targets=("es",), **options),
        engines,
        work_root=work,
        output_stem=work / "out" / "clip",
    )
    return result


def _measured(report: dict) -> dict:
    return {k: report[k] for k in ("timing", "intelligibility", "speakers")}


def _report_cached(result) -> bool:
    return {s["stage"]: s["cached"] for s in result.report["stages"]}["report"]


def test_background_inline_and_resumed_reports_agree(clip, engines, tmp_path, started, monkeypatch):
    work = tmp_path / "work"
    first = _dub(clip, engines, work)
    assert len(started) == 1 and started[0].error is None and not _report_cached(first)
    assert first.report["intelligibility"]["reference_words"] > 0

    # A failed background measurement: the report stage measures inline, to the same figures
    # (a new render setting gives a new report key; mix and everything before it are reused).
    def broken() -> None:
        raise RuntimeError("background measurement broke")

    started.clear()
    original = QualityAhead.__init__

    def failing_init(self, measure, cancel, target):
        original(self, broken, cancel, target)

    monkeypatch.setattr(QualityAhead, "__init__", failing_init)
    inline = _dub(clip, engines, work, watermark=True)
    assert len(started) == 1 and started[0].error is not None and not _report_cached(inline)
    assert _measured(inline.report) == _measured(first.report)
    monkeypatch.setattr(QualityAhead, "__init__", original)

    # Resumed with the first settings: the report is checkpointed, nothing runs ahead.
    started.clear()
    resumed = _dub(clip, engines, work)
    assert started == [] and _report_cached(resumed)
    assert _measured(resumed.report) == _measured(first.report)
