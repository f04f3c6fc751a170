"""Per-symbol durations -> per-phoneme timings, the shape lip-sync wants."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from polydub.engines.tts.base import PhonemeTiming

# Symbols that only modify a neighbour: their duration joins that neighbour's phoneme.
_BEFORE_MODIFIERS = frozenset("ˈˌ")
_AFTER_MODIFIERS = frozenset("ːʰʲ\u0303\u0329↓→↗↘")
# Word gaps, punctuation and Piper's pad/begin/end markers: silence, not phonemes.
SILENT_SYMBOLS = frozenset(' ;:,.!?¡¿—…"()“”«»_^$')


def merge_phoneme_timings(symbols: Sequence[str], edges: np.ndarray) -> list[PhonemeTiming]:
    """Turn per-symbol sample edges into per-phoneme timings.

    Stress marks join the next phoneme, length/aspiration/tone marks the previous one, and
    spaces and punctuation become gaps (silence).

    Args:
        symbols: the phoneme symbols, one per token.
        edges: seconds; symbol i spans edges[i]..edges[i + 1].
    """
    timings: list[list] = []
    pending_start: float | None = None
    for i, symbol in enumerate(symbols):
        start, end = float(edges[i]), float(edges[i + 1])
        if symbol in SILENT_SYMBOLS:
            pending_start = None
        elif symbol in _BEFORE_MODIFIERS:
            pending_start = start if pending_start is None else pending_start
        elif symbol in _AFTER_MODIFIERS and timings and timings[-1][2] == start:
            timings[-1][0] += symbol
            timings[-1][2] = end
        else:
            timings.append([symbol, start if pending_start is None else pending_start, end])
            pending_start = None
    return [PhonemeTiming(p, s, e) for p, s, e in timings]
