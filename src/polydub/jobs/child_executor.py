"""The default executor of `polydub serve`: the job threads run in one child process.

Why a process: a dubbing pipeline keeps Python busy between its native calls, and in the API's
own process that time is taken from request handling (status polls waited 0.8 s at p99 behind
one running job). In a child process at a higher nice value the API keeps its interpreter and
gets the CPU first, while the jobs still use every cycle the API leaves idle.

The parent only forwards submit/cancel; the child runs an InProcessExecutor on its own
ServiceContext. Jobs live in the database, so nothing is lost when either process dies: the
child dies with its parent (PR_SET_PDEATHSIG); a child that dies on its own (the OOM killer's
SIGKILL) is noticed by the parent's supervisor within about a second and replaced, and the new
child resumes every unfinished batch from its checkpoints. A batch running at each of three
deaths fails (jobs/poisoned_jobs.py) instead of killing the process again.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable

from polydub.config import Settings
from polydub.jobs.poisoned_jobs import DeathCounter, death_message

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
SUPERVISE_INTERVAL_S = 0.5
# A child that dies sooner than this after its start is restarted after a growing delay
# (1, 2, 4 ... 30 s), so a child that cannot start at all does not spin.
HEALTHY_LIFETIME_S = 30.0
MAX_RESTART_DELAY_S = 30.0

PoisonedHandler = Callable[[list[str], str], None]


class ChildProcessExecutor:
    """submit/cancel/start/stop, as InProcessExecutor, with the work in a supervised child.

    Args:
        settings: the service's settings (the child builds its own context from them).
        on_poisoned: called with batch ids that were running at each of the last deaths of
            the child, and the message to fail them with (see jobs/poisoned_jobs.py).
    """

    def __init__(self, settings: Settings, on_poisoned: PoisonedHandler | None = None) -> None:
        self.settings = settings
        self.on_poisoned = on_poisoned
        self.restarts = 0
        self._spawn = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._commands = None
        self._events = None
        self._process = None
        self._started_at = 0.0
        self._running: set[str] = set()  # batches the child said it started, not finished
        self._deaths = DeathCounter()
        self._lock = threading.Lock()  # the child's life: spawn, replace, stop
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        with self._lock:
            self._spawn_child()
        self._supervisor = threading.Thread(
            target=self._supervise, name="polydub-job-supervisor", daemon=True
        )
        self._supervisor.start()

    def _spawn_child(self) -> None:
        self._commands = self._spawn.Queue()
        self._events = self._spawn.Queue()
        self._process = self._spawn.Process(
            target=run_child,
            args=(
                self.settings.model_dump(),
                self._commands,
                self._events,
                os.getpid(),
                logging.getLogger().getEffectiveLevel(),
            ),
            name="polydub-jobs",
        )
        self._process.start()
        self._started_at = time.monotonic()
        logger.info("job process %s started", self._process.pid)

    def _supervise(self) -> None:
        """Replace the child whenever it dies on its own, until stop()."""
        delay = 1.0
        while not self._stopping.wait(SUPERVISE_INTERVAL_S):
            self._read_events()
            process = self._process
            if process is None or process.is_alive():
                continue
            self._read_events()  # what it said just before dying
            lived = time.monotonic() - self._started_at
            running, self._running = self._running, set()
            logger.error(
                "job process %s died (exit code %s) after %.0f s while running %s",
                process.pid,
                process.exitcode,
                lived,
                ", ".join(sorted(running)) or "no job",
            )
            self._fail_poisoned(running)
            delay = 1.0 if lived >= HEALTHY_LIFETIME_S else min(delay * 2, MAX_RESTART_DELAY_S)
            if lived < HEALTHY_LIFETIME_S and self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn_child()
                self.restarts += 1

    def _read_events(self) -> None:
        """The child's word on which batches it is running."""
        events = self._events
        while events is not None:
            try:
                event, batch_id = events.get_nowait()
            except (queue.Empty, OSError, ValueError, EOFError):
                return
            if event == "started":
                self._running.add(batch_id)
            else:
                self._running.discard(batch_id)
                self._deaths.forget(batch_id)

    def _fail_poisoned(self, running: set[str]) -> None:
        poisoned = self._deaths.record(running)
        if not poisoned or self.on_poisoned is None:
            return
        try:
            self.on_poisoned(poisoned, death_message(self._deaths.limit))
        except Exception:  # the database may be what is failing; the restart still happens
            logger.exception("could not fail batches %s", poisoned)

    def submit(self, batch_id: str) -> None:
        self._send(("submit", batch_id))

    def cancel(self, translation_id: str) -> None:
        """Stop a translation inside its running stage (the child also sees its row gone)."""
        self._send(("cancel", translation_id))

    def is_cancelled(self, translation_id: str) -> bool:
        return False  # jobs run in the child, which answers this for itself

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask running jobs to stop (inside their running stages); kill them after `timeout`
        (they resume from their last checkpoint on the next start)."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout)
            self._supervisor = None
        with self._lock:
            if self._process is None:
                return
            self._send(("stop", None))
            self._process.join(timeout)
            if self._process.is_alive():
                logger.warning("job process did not stop in %.0f s; killing it", timeout)
                self._process.kill()
                self._process.join()
            self._commands.close()
            self._events.close()
            self._process = None

    def _send(self, command: tuple[str, str | None]) -> None:
        # To a child that just died this is lost, which is harmless: its replacement resumes
        # every unfinished batch from the database and reads cancellations there.
        if self._commands is None:
            raise RuntimeError("the job process is not started")
        self._commands.put(command)


def run_child(settings_values: dict, commands, events, parent_pid: int, log_level: int) -> None:
    """The child's main: run an InProcessExecutor until told to stop or the parent is gone."""
    _die_with_parent(parent_pid)
    settings = Settings(**settings_values)
    os.nice(max(0, settings.job_niceness))
    from polydub.logging_setup import configure_logging

    configure_logging(log_level, settings.log_format)
    from polydub.jobs.context import ServiceContext
    from polydub.jobs.executor import InProcessExecutor

    context = ServiceContext.create(settings)
    executor = InProcessExecutor(context, on_batch=lambda event, batch: events.put((event, batch)))
    context.executor = executor
    executor.start()
    code = 0
    try:
        _obey(executor, commands, parent_pid)
    except BaseException:
        logging.getLogger(__name__).exception("the job process failed")
        code = 1
    finally:
        executor.stop()
        # Leave without interpreter shutdown: a daemon thread still loading models (the
        # warm-up) can abort the process while modules are torn down. Job state is already
        # committed to the database.
        logging.shutdown()
        os._exit(code)


def _obey(executor, commands, parent_pid: int) -> None:
    """Carry out the server's commands until it says stop (or, without prctl, is gone)."""
    while True:
        try:
            action, value = commands.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent_pid:  # only where prctl is missing
                return
            continue
        if action == "submit":
            executor.submit(value)
        elif action == "cancel":
            executor.cancel(value)
        elif action == "stop":
            return


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when the server dies, even by SIGKILL: an orphan
    would keep running jobs that the restarted server resumes too."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: run_child polls getppid instead
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)
