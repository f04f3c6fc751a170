"""A scoped limit on torch's intra-op threads, for small sequential models.

Resemblyzer's LSTM runs 160 steps of small matrix products per window: with two threads
torch spends most of its time handing work over (60 s of speech, 150 word windows: 6.2 s of
CPU with two threads on a busy two-core machine, 0.6 s with one), and it takes a core from
whatever runs beside it (the face scan of the lip-sync, started after ingest).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with torch's intra-op thread count at most `count` (process-wide, as
    torch keeps it), restored afterwards; nothing to do where torch is not installed."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(min(count, before))
    try:
        yield
    finally:
        torch.set_num_threads(before)
