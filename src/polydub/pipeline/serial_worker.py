"""Calls run in order on one thread of their own, a bounded number of them waiting.

For per-frame work the caller does not need the answer to before its next frame (the lipsync
stage's sync check: a landmark pass on each edited frame, measured for the report only). The
model lets go of the GIL, so the caller's next frame is drawn on the other core meanwhile.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class SerialWorker:
    """Runs submitted calls one after another, in order, on one thread.

    Args:
        name: the thread's name (in profiles and logs).
        depth: calls waiting at most; `submit` blocks beyond that, so the arguments waiting
            (frames) stay bounded.

    A call's error is raised in the caller, by the next `submit` or by `close`. Use as a
    context manager: a clean exit waits for every call; an exit by an exception drops the
    calls not yet started and waits only for the running one.
    """

    def __init__(self, name: str, depth: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._slots = threading.BoundedSemaphore(depth)
        self._pending: deque[Future] = deque()

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        self._raise_finished()
        self._slots.acquire()
        future = self._pool.submit(fn, *args)
        future.add_done_callback(lambda _: self._slots.release())
        self._pending.append(future)

    def close(self) -> None:
        """Wait for every call; raise the first one's error."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def abandon(self) -> None:
        """Drop the calls not started; wait for the running one (its arguments may be views
        of memory the caller is about to release)."""
        self._pending.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _raise_finished(self) -> None:
        while self._pending and self._pending[0].done():
            self._pending.popleft().result()

    def __enter__(self) -> SerialWorker:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abandon()
