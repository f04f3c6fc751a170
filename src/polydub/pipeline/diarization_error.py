"""Diarization error rate (DER): how much of the reference speech is attributed wrongly.

DER = (missed speech + false alarm + speaker confusion) / reference speech, on 10 ms frames,
with the best one-to-one mapping of hypothesis speakers to reference speakers (Hungarian).
A `collar` around every reference boundary is not scored, as in NIST's md-eval (0.25 s is the
usual choice): boundaries a few frames off are not what the figure should measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FRAME = 0.01

# (start seconds, end seconds, speaker label)
Turn = tuple[float, float, str]


@dataclass(frozen=True)
class DiarizationError:
    der: float
    missed: float  # seconds
    false_alarm: float
    confusion: float
    reference_speech: float  # scored seconds of reference speech
    mapping: dict[str, str]  # hypothesis speaker -> reference speaker


def _activity(turns: Sequence[Turn], speakers: list[str], frames: int) -> np.ndarray:
    grid = np.zeros((len(speakers), frames), bool)
    for start, end, speaker in turns:
        grid[speakers.index(speaker), int(round(start / FRAME)) : int(round(end / FRAME))] = True
    return grid


def diarization_error_rate(
    reference: Sequence[Turn], hypothesis: Sequence[Turn], *, collar: float = 0.0
) -> DiarizationError:
    """DER of `hypothesis` against `reference` (overlapping speech is scored per speaker)."""
    from scipy.optimize import linear_sum_assignment

    end = max([e for _, e, _ in [*reference, *hypothesis]], default=0.0)
    frames = int(np.ceil(end / FRAME)) + 1
    ref_speakers = sorted({s for _, _, s in reference})
    hyp_speakers = sorted({s for _, _, s in hypothesis})
    ref = _activity(reference, ref_speakers, frames)
    hyp = _activity(hypothesis, hyp_speakers, frames)
    scored = np.ones(frames, bool)
    c = int(round(collar / FRAME))
    if c:
        for start, stop, _ in reference:
            for edge in (int(round(start / FRAME)), int(round(stop / FRAME))):
                scored[max(0, edge - c) : edge + c] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    # Overlap in frames of each (hypothesis, reference) pair; maximise the matched total.
    overlap = hyp.astype(np.int64) @ ref.T.astype(np.int64)
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    mapping = {hyp_speakers[r]: ref_speakers[c] for r, c in zip(rows, cols, strict=True)}
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    matched = np.zeros(ref.shape[1], np.int64)
    for r, c in zip(rows, cols, strict=True):
        matched += hyp[r] & ref[c]
    missed = np.maximum(n_ref - n_hyp, 0).sum()
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum()
    confusion = (np.minimum(n_ref, n_hyp) - matched).sum()
    total = n_ref.sum()
    der = (missed + false_alarm + confusion) / total if total else 0.0
    return DiarizationError(
        der=float(der),
        missed=float(missed * FRAME),
        false_alarm=float(false_alarm * FRAME),
        confusion=float(confusion * FRAME),
        reference_speech=float(total * FRAME),
        mapping=mapping,
    )
