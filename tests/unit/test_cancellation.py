"""The throttled cancel check, its scope, thread pools, ffmpeg children and the runner."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from stage_files import checkpoints, leftovers

from polydub import cancellation
from polydub.cancellation import (
    CancelCheck,
    cancel_scope,
    carry_cancel,
    is_cancelled,
    raise_if_cancelled,
)
from polydub.errors import JobCancelled
from polydub.media.ffmpeg import require_binary, run_cancellable, run_ffmpeg
from polydub.pipeline.runner import StageEvent, StageRunner


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Flag:
    """A job's should_cancel: counts its (costly) calls."""

    def __init__(self) -> None:
        self.set = False
        self.calls = 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.set


def test_the_job_check_is_asked_at_most_once_per_interval():
    flag, clock = Flag(), Clock()
    check = CancelCheck(flag, interval=0.4, clock=clock)
    for _ in range(1000):
        assert not check.cancelled()
    assert flag.calls == 1
    flag.set = True
    clock.now = 0.39
    assert not check.cancelled()  # the last answer stands inside the interval
    clock.now = 0.4
    assert check.cancelled()
    assert flag.calls == 2


def test_a_yes_is_kept_and_fresh_asks_now():
    flag, clock = Flag(), Clock()
    check = CancelCheck(flag, interval=10.0, clock=clock)
    assert not check.cancelled()
    flag.set = True
    assert check.cancelled(fresh=True)
    flag.set = False  # a job cannot be un-cancelled
    clock.now = 100.0
    assert check.cancelled()
    with pytest.raises(JobCancelled):
        check.raise_if_cancelled()
    assert flag.calls == 2


class FlakyFlag(Flag):
    """A should_cancel whose first call fails (the database briefly away)."""

    def __call__(self) -> bool:
        if self.calls == 0:
            self.calls += 1
            raise ConnectionError("database away")
        return super().__call__()


def test_a_failed_ask_inside_a_stage_is_asked_again_later():
    flag, clock = FlakyFlag(), Clock()
    check = CancelCheck(flag, interval=0.4, clock=clock)
    assert not check.cancelled()  # logged; the stage goes on
    flag.set = True
    clock.now = 0.4
    assert check.cancelled()


def test_a_failed_ask_at_a_stage_boundary_raises():
    with pytest.raises(ConnectionError):
        CancelCheck(FlakyFlag()).cancelled(fresh=True)


def test_many_threads_share_one_ask_per_interval():
    flag, clock = Flag(), Clock()
    check = CancelCheck(flag, interval=0.4, clock=clock)

    def poll(_):
        return sum(check.cancelled() for _ in range(200))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(poll, range(8))) == 0
    assert flag.calls == 1


def test_outside_a_job_nothing_is_cancelled():
    assert not is_cancelled()
    raise_if_cancelled()  # no check in scope: a no-op


def test_the_scope_is_seen_in_the_thread_and_ends_with_it():
    flag = Flag()
    flag.set = True
    with cancel_scope(CancelCheck(flag, interval=0.0)):
        assert is_cancelled()
        with pytest.raises(JobCancelled):
            raise_if_cancelled()
    assert not is_cancelled()


def test_pool_workers_see_the_cancel_only_when_carried():
    flag = Flag()
    flag.set = True
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        raise_if_cancelled()
        return i

    with cancel_scope(CancelCheck(flag, interval=0.0)):
        with ThreadPoolExecutor(max_workers=2) as pool:
            # Threads do not inherit context variables: without carry_cancel, no cancel.
            assert list(pool.map(work, range(3))) == [0, 1, 2]
            started.clear()
            with pytest.raises(JobCancelled):
                list(pool.map(carry_cancel(work), range(3)))
    assert started == []  # carried work checks before it starts


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


def test_a_cancel_kills_a_running_ffmpeg_and_reaps_it(tmp_path):
    flag = Flag()
    # A minute of audio read at its real rate: ffmpeg would run for a minute.
    args = ["-re", "-f", "lavfi", "-i", "sine=d=60", "-f", "wav", str(tmp_path / "out.wav")]
    seen: list[int] = []

    def cancel_when_ffmpeg_runs() -> None:
        while not (pids := _children_named("ffmpeg")):
            threading.Event().wait(0.01)
        seen.extend(pids)
        flag.set = True

    watcher = threading.Thread(target=cancel_when_ffmpeg_runs, daemon=True)
    watcher.start()
    with cancel_scope(CancelCheck(flag, interval=0.0)), pytest.raises(JobCancelled):
        run_ffmpeg(args)
    watcher.join(timeout=5)
    assert seen and _children_named("ffmpeg") == []


def test_without_a_job_ffmpeg_runs_as_before(tmp_path):
    code, _, _ = run_cancellable([require_binary("ffmpeg"), "-hide_banner", "-version"])
    assert code == 0


def test_a_cancelled_stage_leaves_no_checkpoint_and_no_partial_files(tmp_path, monkeypatch):
    from pydantic import BaseModel

    class Made(BaseModel):
        parts: int

    monkeypatch.setattr(cancellation, "DEFAULT_INTERVAL_S", 0.0)  # every check asks
    flag = Flag()
    runner = StageRunner(tmp_path, should_cancel=flag)
    made = []

    def produce(stage_dir):
        for i in range(100):
            raise_if_cancelled()
            (stage_dir / f"part{i}.bin").write_bytes(b"x")
            made.append(i)
            if i == 2:
                flag.set = True  # the job is deleted while the stage runs
        return Made(parts=len(made))

    with pytest.raises(JobCancelled):
        runner.run("slow", "es", {}, produce, Made)
    assert made == [0, 1, 2]
    assert leftovers(runner.stage_dir("slow", "es")) == []
    # A later run (not cancelled) makes the stage from scratch and checkpoints it.
    flag.set = False
    rerun = StageRunner(tmp_path)
    events: list[StageEvent] = []
    rerun.on_event = events.append
    made.clear()
    artifact, _ = rerun.run("slow", "es", {}, lambda d: Made(parts=7), Made)
    assert artifact.parts == 7 and not events[-1].cached
    (done,) = checkpoints(rerun.stage_dir("slow", "es"))
    assert json.loads(done.read_text())["key"]


def test_work_between_stages_sees_the_cancel_inside_the_runner_scope(tmp_path):
    # Voice matching runs after translate and before synthesize, outside any stage.
    flag = Flag()
    runner = StageRunner(tmp_path, should_cancel=flag)
    runner.cancel = CancelCheck(flag, interval=0.0)
    with runner.cancellable():
        raise_if_cancelled()
        flag.set = True
        with pytest.raises(JobCancelled):
            raise_if_cancelled()
    raise_if_cancelled()  # the scope ended with the run


def test_on_cancel_stops_a_call_that_no_loop_of_ours_can_check():
    from polydub.cancellation import on_cancel

    flag, stopped = Flag(), threading.Event()
    stops: list[int] = []

    def stop() -> None:
        stops.append(1)
        stopped.set()

    with cancel_scope(CancelCheck(flag, interval=0.0)), on_cancel(stop):
        flag.set = True
        # A native call that runs until told to stop (it would run forever otherwise).
        assert stopped.wait(timeout=60)
    assert stops == [1]
    with on_cancel(stop):  # outside a job: nothing watches
        pass
    assert stops == [1]
