"""What `polydub bench` measures beside the pipeline: wall and CPU seconds per stage, the peak
memory of the whole process tree, and how busy the rest of the machine was meanwhile.

CPU seconds count this process's threads and its finished child processes (ffmpeg, sox ...):
the stages wait for their children, so a stage's children are counted in that stage.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from polydub.pipeline.runner import StageEvent

# Other processes' load above this (runnable threads, on average) makes figures not comparable.
LOAD_WARNING = 1.5
# How far the floor re-encoded after the run may differ from the one before it before the
# machine's speed is said to have drifted (a shared host: within one session here the same
# re-encode took 7.5 to 12.1 s while this VM's other processes stayed idle).
FLOOR_DRIFT = 0.10
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children so far."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@dataclass
class StageTime:
    wall: float = 0.0
    cpu: float = 0.0
    cached: bool = False


@dataclass
class StageClock:
    """Wall and CPU seconds of every stage the pipeline reports, in the order they started.

    Feed it the pipeline's StageEvents; any stage that reports start and done shows up,
    whatever its name (a stage added later needs no change here). Stages that run at once
    (mix beside lipsync) each get their own wall; the process's CPU counters cannot tell their
    threads' and children's work apart, so the CPU of their common time is shared evenly, and
    `total()` counts that time once.
    """

    stages: dict[str, StageTime] = field(default_factory=dict)
    _open: dict[str, float] = field(default_factory=dict)  # stage -> wall at its start
    _staged: StageTime = field(default_factory=StageTime)  # while any stage ran
    _last: tuple[float, float] = (0.0, 0.0)  # wall and CPU at the last start or done

    def __call__(self, event: StageEvent) -> None:
        if event.status not in ("start", "done"):
            return
        if event.status == "done" and event.stage not in self._open:
            return  # a done without a start is not a stage run
        now, cpu = time.perf_counter(), cpu_seconds()
        if self._open:
            wall_spent, cpu_spent = now - self._last[0], cpu - self._last[1]
            self._staged.wall += wall_spent
            self._staged.cpu += cpu_spent
            for stage in self._open:
                self.stages[stage].cpu += cpu_spent / len(self._open)
        self._last = (now, cpu)
        if event.status == "start":
            self._open[event.stage] = now
            self.stages.setdefault(event.stage, StageTime())
        else:
            entry = self.stages[event.stage]
            entry.wall += now - self._open.pop(event.stage)
            entry.cached = entry.cached or event.cached

    def total(self) -> StageTime:
        """Wall and CPU seconds while any stage ran (time two stages shared counted once)."""
        return StageTime(self._staged.wall, self._staged.cpu)


def _children(pid: int) -> list[int]:
    """Direct children of `pid` (every thread's), from /proc."""
    out: list[int] = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            try:
                out += [int(c) for c in Path(task.path, "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        pass
    return out


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def rss_kb(pid: int) -> int:
    """Resident memory of one process in KiB (0 once it has gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def running_threads(pid: int) -> int:
    """Threads of `pid` in state R (running or runnable) right now."""
    count = 0
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            try:
                stat = Path(task.path, "stat").read_text()
            except OSError:
                continue
            # The state follows the command name, which is in parentheses and may hold spaces.
            if stat[stat.rfind(")") + 2 : stat.rfind(")") + 3] == "R":
                count += 1
    except OSError:
        pass
    return count


def machine_running() -> int:
    """Runnable threads on the whole machine right now (/proc/loadavg's 4th field)."""
    return int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])


@dataclass(frozen=True)
class TreeSample:
    rss_kb: int
    other_running: int  # runnable threads outside our process tree


def sample_tree(pid: int) -> TreeSample:
    tree = process_tree(pid)
    ours = sum(running_threads(p) for p in tree)
    return TreeSample(sum(rss_kb(p) for p in tree), max(0, machine_running() - ours))


class TreeSampler:
    """Samples our process tree's memory and the rest of the machine's load in a thread.

    The 1-minute load average counts the bench itself (it uses both cores), so whether the
    machine was otherwise busy is judged from the runnable threads outside our tree, averaged
    over the run: the same quantity a load average averages, less our own.
    """

    def __init__(self, interval: float = 0.2, pid: int | None = None) -> None:
        self.interval = interval
        self.pid = pid or os.getpid()
        self.peak_rss_kb = 0
        self.load_start = os.getloadavg()[0]
        self.load_max = self.load_start
        self._others: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        try:
            taken = sample_tree(self.pid)
        except OSError:  # no /proc (not Linux): fall back to getrusage below
            return
        self.peak_rss_kb = max(self.peak_rss_kb, taken.rss_kb)
        self._others.append(taken.other_running)
        self.load_max = max(self.load_max, os.getloadavg()[0])

    @property
    def other_load(self) -> float:
        """Mean runnable threads of other processes during the run."""
        return sum(self._others) / len(self._others) if self._others else 0.0

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the tree; never below what getrusage saw for us alone or
        for our largest child (a peak between two samples)."""
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        return max(self.peak_rss_kb, own, child) / 1024


def load_warning(
    load_start: float, other_load: float, limit: float = LOAD_WARNING, busy: int = 0
) -> str | None:
    """A warning when the machine was busy before or during the run beyond the `busy`
    processes the bench started itself, else None."""
    if load_start <= limit + busy and other_load <= limit + busy:
        return None
    return (
        f"WARNING: the machine was loaded (1-min load {load_start:.2f} at start, other "
        f"processes' runnable threads {other_load:.2f} on average; limit {limit}): these "
        "figures are not comparable with an idle run"
    )


def drift_warning(before: float, after: float, limit: float = FLOOR_DRIFT) -> str | None:
    """A warning when the same re-encode took `after` seconds after the run against `before`
    before it, more than `limit` apart (relative to the faster): the machine itself changed
    speed during the run, which its load cannot show (a host shared with other VMs)."""
    if min(before, after) <= 0 or max(before, after) / min(before, after) - 1 <= limit:
        return None
    return (
        f"WARNING: the floor took {before:.2f} s before the run and {after:.2f} s after it: "
        "the machine's speed drifted during the run, so its figures are not comparable with "
        "another run's"
    )


@contextmanager
def busy_processes(count: int) -> Iterator[list[int]]:
    """`count` processes spinning on the CPU outside this process tree (as another job or
    service sharing the machine would), killed at the end; their pids.

    Each is started by a shell that exits at once, so it is no child of ours: its CPU is not
    counted as the bench's, and the tree sampler counts it among the other processes.
    """
    spin = f'"{sys.executable}" -c "while True: pass" >/dev/null 2>&1 </dev/null & echo $!'
    pids: list[int] = []
    try:
        for _ in range(count):
            started = subprocess.run(["sh", "-c", spin], capture_output=True, text=True)
            pids.append(int(started.stdout.strip()))
        yield pids
    finally:
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
