"""Prompt cancel inside long work: the running job's cancel check, seen from any loop.

The runner puts the job's check in scope (`cancel_scope`) while it runs the job's stages;
stages, engines and the ffmpeg wrapper call `raise_if_cancelled()` in their loops, so a
DELETE or a shutdown stops a stage within about a second instead of at its end (issue 16).
No callable is threaded through signatures: the check lives in a context variable, and
`carry_cancel` takes it into thread-pool workers (which do not inherit context variables).
One long native call that can be told to stop (an ONNX inference) is watched by `on_cancel`;
an ffmpeg child is killed by `polydub.media.ffmpeg.run_cancellable`.

A job's `should_cancel` may read the database, so `CancelCheck` asks it at most once per
`interval` seconds, whichever thread asks, and remembers a yes for good. A failed ask inside
a stage (the database briefly away) is logged and retried at the next interval rather than
failing minutes of work; at stage boundaries it raises, as it always did.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

from polydub.errors import JobCancelled

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# Often enough for "stops within about a second", rarely enough for a database read.
DEFAULT_INTERVAL_S = 0.4


class CancelCheck:
    """A throttled, thread-safe view of a job's `should_cancel`.

    Args:
        should_cancel: the job's own check (may be slow: a database read).
        interval: ask `should_cancel` at most this often; in between, the last answer stands
            (None: DEFAULT_INTERVAL_S as it is when the check is made).
        clock: seconds, monotonic (a parameter so tests can step time by hand).
    """

    def __init__(
        self,
        should_cancel: Callable[[], bool],
        *,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._should_cancel = should_cancel
        self._interval = DEFAULT_INTERVAL_S if interval is None else interval
        self._clock = clock
        self._lock = threading.Lock()
        self._asked_at: float | None = None
        self._cancelled = False
        self.asks = 0  # how many times `should_cancel` was really called

    def cancelled(self, *, fresh: bool = False) -> bool:
        """Whether the job was cancelled; `fresh` asks now, whatever the throttle says."""
        if self._cancelled:
            return True
        # A thread that finds another one asking takes the last answer rather than waiting.
        if not self._lock.acquire(blocking=fresh):
            return self._cancelled
        try:
            now = self._clock()
            due = self._asked_at is None or now - self._asked_at >= self._interval
            if (fresh or due) and not self._cancelled:
                self._asked_at = now
                self.asks += 1
                self._cancelled = self._ask(fresh)
            return self._cancelled
        finally:
            self._lock.release()

    def _ask(self, fresh: bool) -> bool:
        if fresh:
            return bool(self._should_cancel())
        try:
            return bool(self._should_cancel())
        except Exception:  # noqa: BLE001 - any failure of the job's check: ask again later
            logger.warning("could not check whether the job was cancelled", exc_info=True)
            return False

    def raise_if_cancelled(self, *, fresh: bool = False) -> None:
        """Raise JobCancelled once the job was cancelled."""
        if self.cancelled(fresh=fresh):
            raise JobCancelled("the job was cancelled")


_current: ContextVar[CancelCheck | None] = ContextVar("polydub_cancel_check", default=None)


@contextmanager
def cancel_scope(check: CancelCheck) -> Iterator[CancelCheck]:
    """Make `check` the one `raise_if_cancelled` consults in this thread (and its context)."""
    token = _current.set(check)
    try:
        yield check
    finally:
        _current.reset(token)


def current_check() -> CancelCheck | None:
    """The check in scope; None outside a job (a CLI helper, a test of one function)."""
    return _current.get()


def is_cancelled() -> bool:
    """Whether the job in scope was cancelled (False outside a job). Throttled: cheap."""
    check = _current.get()
    return check is not None and check.cancelled()


def raise_if_cancelled() -> None:
    """Raise JobCancelled if the job in scope was cancelled; call it in every long loop."""
    check = _current.get()
    if check is not None:
        check.raise_if_cancelled()


def carry_cancel(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn`, run under the caller's cancel check: wrap what goes to a thread pool with it.

    The worker checks before it starts, so work queued behind a cancel never begins.
    """
    check = _current.get()
    if check is None:
        return fn

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with cancel_scope(check):
            check.raise_if_cancelled()
            return fn(*args, **kwargs)

    return run


# How often a watcher looks at the check while a native call runs (the check is throttled).
_WATCH_POLL_S = 0.1


@contextmanager
def on_cancel(stop: Callable[[], None]) -> Iterator[None]:
    """Call `stop` once, from a watcher thread, if the job in scope is cancelled while the
    block runs: for one long native call that can be told to stop from outside (ONNX
    Runtime's `RunOptions.terminate`), where no loop of ours could check. Outside a job,
    nothing is watched.
    """
    check = _current.get()
    if check is None:
        yield
        return
    finished = threading.Event()

    def watch() -> None:
        while not finished.wait(_WATCH_POLL_S):
            if check.cancelled():
                stop()
                return

    watcher = threading.Thread(target=watch, name="cancel-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()
        watcher.join()
