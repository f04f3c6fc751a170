"""The job process of `polydub serve`: lower priority, stops on request, dies with its server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from polydub.config import Settings
from polydub.jobs.child_executor import ChildProcessExecutor

SERVER = """
import sys, time
from polydub.config import Settings
from polydub.jobs.child_executor import ChildProcessExecutor
executor = ChildProcessExecutor(Settings(data_dir=sys.argv[1]))
executor.start()
print(executor._process.pid, flush=True)
time.sleep(600)
"""


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie has finished; only its reaping is left


def wait_until(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_runs_at_lower_priority_and_stops_cleanly(tmp_path):
    executor = ChildProcessExecutor(Settings(data_dir=tmp_path / "data", job_niceness=7))
    executor.start()
    try:
        pid = executor._process.pid
        assert wait_until(lambda: os.getpriority(os.PRIO_PROCESS, pid) != os.nice(0))
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.nice(0) + 7)
        process = executor._process
    finally:
        executor.stop(timeout=60)
    assert process.exitcode == 0
    assert not executor.alive


def test_dies_when_the_server_is_killed(tmp_path):
    # A surviving child would keep running jobs that the restarted server resumes as well.
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path / "data")], stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(server.stdout.readline())
        assert not gone(child)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        assert wait_until(lambda: gone(child))
    finally:
        server.kill()
        server.wait()


def test_a_killed_job_process_is_replaced_within_seconds(tmp_path):
    # What the OOM killer does: the server must notice and start another job process, which
    # resumes unfinished jobs from the database.
    executor = ChildProcessExecutor(Settings(data_dir=tmp_path / "data"))
    executor.start()
    try:
        first = executor._process.pid
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: executor.restarts == 1 and executor.alive, seconds=15)
        assert executor._process.pid != first
        executor.submit("no-such-batch")  # the replacement takes commands
    finally:
        executor.stop(timeout=60)
    assert not executor.alive
    assert executor.restarts == 1  # a clean stop is not a death


def test_batches_running_at_every_death_are_reported_as_poisoned():
    from polydub.jobs.poisoned_jobs import DeathCounter

    deaths = DeathCounter(limit=3)
    assert deaths.record({"a", "b"}) == []
    assert deaths.record({"a"}) == []
    deaths.forget("b")  # b finished normally in between
    assert deaths.record({"a", "b"}) == ["a"]
    assert deaths.record({"a", "b"}) == []  # a's count starts again; b is at 2
    assert deaths.record({"b"}) == ["b"]
