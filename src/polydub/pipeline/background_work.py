"""Work started in a daemon thread beside the stages, which a later stage waits for.

The face scan (face_scan_ahead.py) and the report's measurements (report_ahead.py) each run
this way. Both follow one contract: the work sees the job's cancel check and the run's own
stop; a failure is kept and logged, never raised, since the waiting stage then does the work
inline; and the end of the run stops it, whatever ends the run, so nothing outlives its dub.
A whole stage run beside another (stage_beside.py: mix beside lipsync) keeps the first and
last, but its failure is the target's: it is raised to the caller, not redone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from polydub.cancellation import CancelCheck, cancel_scope, raise_if_cancelled
from polydub.errors import JobCancelled

T = TypeVar("T")

_WAIT_POLL_S = 0.2  # how often a waiting stage looks at its own cancel check


class BackgroundWork(Generic[T]):
    """One piece of work in a daemon thread.

    Args:
        what: names the work in the thread's name and in `log`'s messages.
        cancel: the job's cancel check; the work stops when it says so.
        log: where the work's timing and failure are told (benches read it).
    """

    def __init__(self, what: str, cancel: CancelCheck, log: logging.Logger) -> None:
        self.what, self.log = what, log
        self._stop = threading.Event()
        # Asked often (every frame of a scan): the stop flag is a plain read, the job's check
        # is throttled by its own CancelCheck.
        self._check = CancelCheck(lambda: self._stop.is_set() or cancel.cancelled(), interval=0)
        self._thread: threading.Thread | None = None
        self._result: T | None = None
        self.error: BaseException | None = None
        self.wall_seconds = self.cpu_seconds = 0.0  # the work's own, for benches and logs

    def _begin(self, work: Callable[[], T]) -> None:
        """Run `work` in a daemon thread (once)."""
        if self._thread is None:
            name = "background-" + self.what.replace(" ", "-")
            self._thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the work is under way (started, not yet ended)."""
        return self._thread is not None and self._thread.is_alive()

    def _wait(self) -> T | None:
        """Block until the work has ended; its result, or None when it failed (logged: the
        caller does it inline) or never ran. The caller's cancel is seen meanwhile."""
        self._join()
        if self.error is not None:
            self.log.warning("background %s failed (%s): done inline", self.what, self.error)
        return self._result

    def _join(self) -> None:
        """Block until the work has ended, seeing the caller's cancel meanwhile."""
        thread, started = self._thread, time.perf_counter()
        while thread is not None and thread.is_alive():
            raise_if_cancelled()
            thread.join(_WAIT_POLL_S)
        raise_if_cancelled()  # work stopped by the cancel is no result to go on with
        if thread is not None:
            self.log.info(
                "waited %.1f s for the background %s", time.perf_counter() - started, self.what
            )

    def stop(self) -> None:
        """Stop the work if still running and wait for its thread: the run is over."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self, work: Callable[[], T]) -> None:
        started, cpu0 = time.perf_counter(), time.thread_time()
        with cancel_scope(self._check):
            try:
                self._result = work()
            except JobCancelled:
                pass  # the job or the run ended: whoever needs the result makes it
            except Exception as exc:  # noqa: BLE001 - told by _wait(); the caller redoes it
                self.error = exc
        self.wall_seconds = time.perf_counter() - started
        self.cpu_seconds = time.thread_time() - cpu0
        self.log.info(
            "background %s: %.1f s wall, %.1f s CPU (its own thread)",
            self.what,
            self.wall_seconds,
            self.cpu_seconds,
        )
