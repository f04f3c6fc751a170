"""A scoped limit on torch's intra-op threads, for small sequential models.

Resemblyzer's LSTM runs 160 steps of small matrix products per window: with two threads
torch spends most of its time handing work over (60 s of speech, 150 word windows: 6.2 s of
CPU with two threads on a busy two-core machine, 0.6 s with one), and it takes a core from
whatever runs beside it (the face scan of the lip-sync, started after ingest).

torch keeps one thread count for the whole process, so limits taken by several threads at
once are kept together: the count is the lowest limit in force, and the count from before
the first comes back when the last ends (restoring each block's own "before" would leave
whichever was read last, e.g. one thread for good).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_limits: list[int] = []  # the limits in force, from every thread
_unlimited = 0  # torch's count before the first of them


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with torch's intra-op thread count at most `count` (process-wide, as
    torch keeps it), restored when no block limits it any more; nothing to do where torch
    is not installed."""
    try:
        import torch
    except ImportError:
        yield
        return
    global _unlimited
    with _lock:
        if not _limits:
            _unlimited = torch.get_num_threads()
        _limits.append(count)
        torch.set_num_threads(max(1, min([_unlimited, *_limits])))
    try:
        yield
    finally:
        with _lock:
            _limits.remove(count)
            torch.set_num_threads(max(1, min([_unlimited, *_limits])))
