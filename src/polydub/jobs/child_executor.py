"""The default executor of `polydub serve`: the job threads run in one child process.

Why a process: a dubbing pipeline keeps Python busy between its native calls, and in the API's
own process that time is taken from request handling (status polls waited 0.8 s at p99 behind
one running job). In a child process at a higher nice value the API keeps its interpreter and
gets the CPU first, while the jobs still use every cycle the API leaves idle.

The parent only forwards submit/cancel; the child runs an InProcessExecutor on its own
ServiceContext. Jobs live in the database, so nothing is lost when either process dies: the
child dies with its parent (PR_SET_PDEATHSIG) and the next start resumes unfinished batches.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import queue
import signal

from polydub.config import Settings

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ChildProcessExecutor:
    """submit/cancel/start/stop, as InProcessExecutor, with the work in a child process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._spawn = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._commands = None
        self._process = None

    def start(self) -> None:
        self._commands = self._spawn.Queue()
        self._process = self._spawn.Process(
            target=run_child,
            args=(
                self.settings.model_dump(),
                self._commands,
                os.getpid(),
                logging.getLogger().getEffectiveLevel(),
            ),
            name="polydub-jobs",
        )
        self._process.start()
        logger.info("job process %s started", self._process.pid)

    def submit(self, batch_id: str) -> None:
        self._send(("submit", batch_id))

    def cancel(self, translation_id: str) -> None:
        """Stop a translation at its next stage boundary (the child also sees its row gone)."""
        self._send(("cancel", translation_id))

    def is_cancelled(self, translation_id: str) -> bool:
        return False  # jobs run in the child, which answers this for itself

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask running jobs to stop at their next stage boundary; kill them after `timeout`
        (they resume from their last checkpoint on the next start)."""
        if self._process is None:
            return
        self._send(("stop", None))
        self._process.join(timeout)
        if self._process.is_alive():
            logger.warning("job process did not stop in %.0f s; killing it", timeout)
            self._process.kill()
            self._process.join()
        self._commands.close()
        self._process = None

    def _send(self, command: tuple[str, str | None]) -> None:
        if self._commands is None:
            raise RuntimeError("the job process is not started")
        self._commands.put(command)


def run_child(settings_values: dict, commands, parent_pid: int, log_level: int) -> None:
    """The child's main: run an InProcessExecutor until told to stop or the parent is gone."""
    _die_with_parent(parent_pid)
    settings = Settings(**settings_values)
    os.nice(max(0, settings.job_niceness))
    logging.basicConfig(
        level=log_level,
        format="%(asctime)s %(levelname)s %(name)s [jobs]: %(message)s",
    )
    from polydub.api.context import ServiceContext
    from polydub.jobs.executor import InProcessExecutor

    context = ServiceContext.create(settings)
    executor = InProcessExecutor(context)
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
