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
