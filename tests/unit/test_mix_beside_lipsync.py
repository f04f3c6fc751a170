"""mix and lipsync side by side (pipeline/target_side.py, run_mix_and_render; issue 14): both
build on fit, mix in a thread beside lipsync. Mix settings never redo lipsync, a failed mix
fails the target with its own error (stopping lipsync), a run resumes from either stage's
checkpoint, the report's predicted render key holds, and events come from the run's thread.
The stages' work is replaced by fakes; their keys, checkpoints and threads are the real ones."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from stage_files import checkpoints, leftovers

from polydub.cancellation import raise_if_cancelled
from polydub.errors import EngineError, JobCancelled
from polydub.pipeline import lipsync_stage, target_side
from polydub.pipeline import mix as mix_stage
from polydub.pipeline import render as render_stage
from polydub.pipeline.artifacts import MixArtifact, RenderArtifact
from polydub.pipeline.dub_options import DubOptions
from polydub.pipeline.runner import StageEvent, StageRunner

WAIT_S = 20  # a safety net for a broken test, never a timing being tested


def _shared(video: bool = True) -> SimpleNamespace:
    return SimpleNamespace(
        separation_key="k-sep",
        ingested=SimpleNamespace(info=SimpleNamespace(video=object() if video else None)),
        separated=None,
        diarized=SimpleNamespace(transcript=SimpleNamespace(segments=[])),
    )


ENGINES = SimpleNamespace(lipsync_model=None, settings=SimpleNamespace(lipsync_device="cpu"))


class Fakes:
    """The mix, lipsync and render stages' work, with hooks to order or break them."""

    def __init__(self, monkeypatch) -> None:
        self.calls = {"mix": 0, "lipsync": 0, "render": 0}
        self.mixed = threading.Event()  # on_mixed was called (the mix is checkpointed)
        self.lipsync_started = threading.Event()
        self.lipsync_done = threading.Event()  # told on the run's thread
        self.before_mix = lambda: None
        self.lipsync_work = lambda progress: None
        self.lipsync_cancelled = self.mix_cancelled = False
        self.events: list[tuple[str, str, str]] = []
        self.predicted: list[str] = []
        monkeypatch.setattr(mix_stage, "mix", self.mix)
        monkeypatch.setattr(lipsync_stage, "lipsync", self.lipsync)
        monkeypatch.setattr(render_stage, "render", self.render)

    def mix(self, ingested, separated, fitted, out_dir, *, keep_music, target_lufs, encode_aac):
        self.calls["mix"] += 1
        try:
            self.before_mix()
        except JobCancelled:
            self.mix_cancelled = True
            raise
        (out_dir / "mix.wav").write_bytes(b"mix")
        return MixArtifact(
            mix_wav=out_dir / "mix.wav",
            dub_wav=out_dir / "dub.wav",
            integrated_lufs=target_lufs,
            music_kept=keep_music,
        )

    def lipsync(self, ingested, separated, fitted, out_dir, *, progress, **kwargs):
        self.calls["lipsync"] += 1
        self.lipsync_started.set()
        try:
            self.lipsync_work(progress)
        except JobCancelled:
            self.lipsync_cancelled = True
            raise
        return lipsync_stage.LipSyncArtifact(
            video=None, mode="speed", renderer="warp", frames=1, edited_frames=0,
            phoneme_driven_lines=1, audio_driven_lines=0, render_fps=25.0,
        )  # fmt: skip

    def render(self, ingested, translated, fitted, mixed, out_dir, **kwargs):
        self.calls["render"] += 1
        return RenderArtifact(
            video=out_dir / "v.mp4", srt=out_dir / "s.srt", vtt=out_dir / "s.vtt",
            reencoded_video=False,
        )  # fmt: skip

    def on_event(self, event: StageEvent) -> None:
        self.events.append((event.stage, event.status, threading.current_thread().name))
        if event.stage == "lipsync" and event.status == "done":
            self.lipsync_done.set()

    def on_mixed(self, mixed: MixArtifact, k_render: str) -> None:
        self.predicted.append(k_render)
        self.mixed.set()

    def runner(self, workspace, **kwargs) -> StageRunner:
        return StageRunner(workspace, self.on_event, **kwargs)


def _run(runner: StageRunner, fakes: Fakes, video: bool = True, **options):
    with runner.cancellable():
        return target_side.run_mix_and_render(
            runner, _shared(video), "es", DubOptions(targets=("es",), **options),
            SimpleNamespace(), SimpleNamespace(), "k-fit", ".mp4", ENGINES,
            on_mixed=fakes.on_mixed,
        )  # fmt: skip


def _until_stopped(progress) -> None:
    """A long lipsync: reports progress and sees the cancel in scope until it stops it."""
    for _ in range(WAIT_S * 100):
        progress(0.5)
        raise_if_cancelled()
        threading.Event().wait(0.01)


def _stages(runner: StageRunner) -> dict[str, bool]:
    return {o.name: o.cached for o in runner.outcomes}


def test_lipsync_key_ignores_the_mix_settings(tmp_path, monkeypatch):
    fakes = Fakes(monkeypatch)
    plain = DubOptions(targets=("es",))
    louder = DubOptions(targets=("es",), target_lufs=-14.0, keep_music=False)
    shared = _shared()
    keys = [
        StageRunner(tmp_path).key(
            "lipsync", target_side.lipsync_stage_inputs(shared, o, ENGINES, "k-fit")
        )
        for o in (plain, louder)
    ]
    assert keys[0] == keys[1]

    runner = fakes.runner(tmp_path)
    _, _, first, _ = _run(runner, fakes)
    again = fakes.runner(tmp_path)
    _, _, second, _ = _run(again, fakes, target_lufs=-14.0)
    assert fakes.calls == {"mix": 2, "lipsync": 1, "render": 2}
    assert _stages(again) == {"mix": False, "lipsync": True, "render": False}
    assert first != second  # render takes the mix


def test_a_failed_mix_stops_lipsync_and_fails_with_its_own_error(tmp_path, monkeypatch):
    fakes = Fakes(monkeypatch)

    def broken_mix() -> None:
        assert fakes.lipsync_started.wait(WAIT_S)
        raise EngineError("ffmpeg failed: sidechaincompress")

    fakes.before_mix = broken_mix
    fakes.lipsync_work = _until_stopped
    runner = fakes.runner(tmp_path)
    with pytest.raises(EngineError, match="sidechaincompress"):
        _run(runner, fakes)
    assert fakes.lipsync_cancelled  # stopped, not run to its end
    assert checkpoints(runner.stage_dir("lipsync", "es")) == []
    assert leftovers(runner.stage_dir("lipsync", "es")) == []  # its half-made output too
    assert checkpoints(runner.stage_dir("mix", "es")) == []
    assert fakes.calls["render"] == 0 and fakes.predicted == []


def test_a_mix_failing_after_lipsync_ended_still_fails_the_target(tmp_path, monkeypatch):
    fakes = Fakes(monkeypatch)

    def late_failure() -> None:
        assert fakes.lipsync_done.wait(WAIT_S)
        raise EngineError("ffmpeg failed: loudnorm")

    fakes.before_mix = late_failure
    runner = fakes.runner(tmp_path)
    with pytest.raises(EngineError, match="loudnorm"):
        _run(runner, fakes)
    assert len(checkpoints(runner.stage_dir("lipsync", "es"))) == 1
    assert fakes.calls["render"] == 0


def test_a_cancelled_job_stops_both_stages(tmp_path, monkeypatch):
    fakes = Fakes(monkeypatch)
    cancelled = threading.Event()

    def long_mix() -> None:
        assert fakes.lipsync_started.wait(WAIT_S)
        cancelled.set()
        _until_stopped(lambda fraction: None)

    fakes.before_mix = long_mix
    fakes.lipsync_work = _until_stopped
    runner = fakes.runner(tmp_path, should_cancel=cancelled.is_set)
    with pytest.raises(JobCancelled):
        _run(runner, fakes)
    assert fakes.mix_cancelled and fakes.lipsync_cancelled
    assert leftovers(runner.stage_dir("mix", "es")) == []
    assert leftovers(runner.stage_dir("lipsync", "es")) == []


def test_a_cancel_after_lipsync_ended_stops_the_mix_before_raising(tmp_path, monkeypatch):
    fakes = Fakes(monkeypatch)
    cancelled = threading.Event()
    fakes.before_mix = lambda: _until_stopped(lambda fraction: None)
    fakes.lipsync_work = lambda progress: cancelled.set()
    runner = fakes.runner(tmp_path, should_cancel=cancelled.is_set)
    with pytest.raises(JobCancelled):
        _run(runner, fakes)
    assert fakes.mix_cancelled  # ended (and waited for) before the cancel went on
    assert leftovers(runner.stage_dir("mix", "es")) == []


def _clean_render_key(tmp_path, monkeypatch) -> str:
    fakes = Fakes(monkeypatch)
    return _run(fakes.runner(tmp_path / "clean"), fakes)[2]


def test_resume_with_the_mix_checkpointed_and_lipsync_not(tmp_path, monkeypatch):
    expected = _clean_render_key(tmp_path, monkeypatch)
    fakes = Fakes(monkeypatch)

    def broken_lipsync(progress) -> None:
        assert fakes.mixed.wait(WAIT_S)
        raise RuntimeError("lipsync broke")

    fakes.lipsync_work = broken_lipsync
    with pytest.raises(RuntimeError, match="lipsync broke"):
        _run(fakes.runner(tmp_path / "work"), fakes)
    # The finished mix is told done though lipsync failed (a worker pushes its checkpoint),
    # on the run's thread.
    assert ("mix", "done", threading.current_thread().name) in fakes.events

    fakes.lipsync_work = lambda progress: None
    resumed = fakes.runner(tmp_path / "work")
    assert _run(resumed, fakes)[2] == expected
    assert _stages(resumed) == {"mix": True, "lipsync": False, "render": False}
    assert fakes.calls["mix"] == 1


def test_resume_with_lipsync_checkpointed_and_the_mix_not(tmp_path, monkeypatch):
    expected = _clean_render_key(tmp_path, monkeypatch)
    fakes = Fakes(monkeypatch)

    def late_failure() -> None:
        assert fakes.lipsync_done.wait(WAIT_S)
        raise EngineError("ffmpeg failed")

    fakes.before_mix = late_failure
    with pytest.raises(EngineError):
        _run(fakes.runner(tmp_path / "work"), fakes)

    fakes.before_mix = lambda: None
    resumed = fakes.runner(tmp_path / "work")
    assert _run(resumed, fakes)[2] == expected
    assert _stages(resumed) == {"lipsync": True, "mix": False, "render": False}
    assert fakes.calls["lipsync"] == 1


class _Handed(Exception):
    """Stands in for dub()'s stop after a stage (a worker handing the rest on)."""


def test_a_run_stopped_after_mix_starts_no_lipsync_and_the_next_step_resumes(tmp_path, monkeypatch):
    expected = _clean_render_key(tmp_path, monkeypatch)
    fakes = Fakes(monkeypatch)

    def stop_after_mix(event: StageEvent) -> None:
        fakes.on_event(event)
        if event.stage == "mix" and event.status == "done":
            raise _Handed

    first = StageRunner(tmp_path / "work", stop_after_mix, stop_after="mix")
    with pytest.raises(_Handed):
        _run(first, fakes)
    assert fakes.calls == {"mix": 1, "lipsync": 0, "render": 0}
    assert [name for name, _, _ in fakes.events] == ["mix", "mix"]  # start, done: no lipsync

    finish = fakes.runner(tmp_path / "work")
    assert _run(finish, fakes)[2] == expected
    assert _stages(finish) == {"mix": True, "lipsync": False, "render": False}


@pytest.mark.parametrize(("case", "video"), [("with lipsync", True), ("without video", False)])
def test_the_predicted_render_key_is_the_one_render_returns(tmp_path, monkeypatch, case, video):
    fakes = Fakes(monkeypatch)
    _, _, k_render, synced = _run(fakes.runner(tmp_path), fakes, video=video)
    assert fakes.predicted == [k_render]
    assert (synced is not None) is video
    assert fakes.calls["lipsync"] == int(video)


def test_events_and_outcomes_come_from_the_runs_thread_in_the_order_stages_ended(
    tmp_path, monkeypatch
):
    fakes = Fakes(monkeypatch)

    def lipsync_outlasting_the_mix(progress) -> None:
        assert fakes.mixed.wait(WAIT_S)
        progress(0.5)  # the mix's end is told here, between lipsync's events

    fakes.before_mix = lambda: fakes.lipsync_started.wait(WAIT_S)
    fakes.lipsync_work = lipsync_outlasting_the_mix
    runner = fakes.runner(tmp_path)
    _run(runner, fakes)
    main = threading.current_thread().name
    assert {thread for _, _, thread in fakes.events} == {main}
    told = [(stage, status) for stage, status, _ in fakes.events if status != "progress"]
    assert told == [
        ("mix", "start"), ("lipsync", "start"), ("mix", "done"), ("lipsync", "done"),
        ("render", "start"), ("render", "done"),
    ]  # fmt: skip
    assert [o.name for o in runner.outcomes] == ["mix", "lipsync", "render"]
    assert all(o.seconds >= 0 and not o.cached for o in runner.outcomes)
