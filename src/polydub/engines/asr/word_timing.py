"""Snap Whisper's word times to the speech energy around them.

Whisper's word times come from cross-attention alignment at 20 ms steps, and they are
biased in a way that matters for dubbing. Measured on espeak-ng words placed with known
silences (tests/integration/asr/test_whisper.py): a word after a pause starts 0.2-0.6 s
early, because the pause is absorbed into the word, and words end about 0.1 s early. Real
LibriVox speech shows the same pattern at pauses. A constant shift cannot fix a bias that
grows with the pause, so each boundary that touches silence is moved to where the energy
envelope says the sound begins or ends. Inside continuous speech (no pause nearby) the
envelope cannot place a boundary better than Whisper, so there only a small measured
constant lag is corrected (`WHISPER_WORD_LAG`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from polydub.engines.asr.segments import RawSegment, RawWord

# Whisper's word times run early inside continuous speech as well: against a forced
# alignment (PocketSphinx) of LibriVox speech the median error was -0.07 s raw and -0.04 s
# after pause snapping; delaying by this much brought both medians to about 0 and the mean
# absolute error from 0.074 s to 0.059 s.
WHISPER_WORD_LAG = 0.04
FRAME_SECONDS = 0.01
_DIGITAL_SILENCE_DB = -100.0
_CLEAN_CONTRAST_DB = 25.0
# Furthest a word end is extended into sound that Whisper left out of it.
MAX_END_EXTENSION = 0.4
# Silences shorter than this are taken for stop closures inside a word, not pauses
# (espeak-ng's "seven" has a 90 ms one; LibriVox results were the same from 60 to 150 ms).
MIN_PAUSE = 0.1
# Furthest a boundary moves to reach a pause (Whisper was measured up to 0.6 s off).
MAX_BOUNDARY_SHIFT = 0.7
# Sound each word keeps when a boundary moves.
MIN_WORD = 0.05


def frame_levels_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """RMS level of consecutive 10 ms frames, in dB (full scale); silence reads -120."""
    hop = max(1, int(round(FRAME_SECONDS * sample_rate)))
    n = len(audio) // hop
    if n == 0:
        return np.zeros(0, np.float32)
    frames = audio[: n * hop].astype(np.float64).reshape(n, hop)
    rms = np.sqrt((frames**2).mean(axis=1))
    return (20.0 * np.log10(np.maximum(rms, 1e-6))).astype(np.float32)


def sound_mask(levels_db: np.ndarray) -> np.ndarray:
    """True for frames that hold sound, by a threshold between noise floor and speech level.

    The threshold adapts to the recording: a third of the way from the noise floor to the
    speech level (95th percentile). The floor is the 5th percentile of the frames that are
    not digital silence (padding or muted stretches would put it below a real room's
    noise). When even those frames are within `_CLEAN_CONTRAST_DB` of the speech, they are
    quiet speech, not noise: the recording is clean, and the floor is put twice that far
    below the speech so that weak word endings ("-s", "-f") still count as sound.
    """
    if levels_db.size == 0:
        return np.zeros(0, bool)
    audible = levels_db[levels_db > _DIGITAL_SILENCE_DB]
    if audible.size == 0:
        return np.zeros(levels_db.shape, bool)
    speech = float(np.percentile(audible, 95))
    floor = float(np.percentile(audible, 5))
    if floor > speech - _CLEAN_CONTRAST_DB:
        floor = speech - 2 * _CLEAN_CONTRAST_DB
    return levels_db > floor + (speech - floor) / 3.0


def refine_word_times(
    words: Sequence[RawWord], audio: np.ndarray, sample_rate: int
) -> list[RawWord]:
    """Move word boundaries onto the pauses and sound edges the audio shows.

    Every time is first delayed by `WHISPER_WORD_LAG`. Then every boundary between two words
    is moved onto the nearest pause (a silent run of
    at least `MIN_PAUSE` within `MAX_BOUNDARY_SHIFT` of it): the earlier word ends where the
    pause begins, the later one starts where it ends. Then a start still in silence moves
    forward to the first sound, and an end moves to where its sound stops, never past the
    next word's start. Order and non-overlap of the words are kept.
    """
    mask = sound_mask(frame_levels_db(audio, sample_rate))
    if not mask.any() or not words:
        return list(words)
    shifted = [(w.start + WHISPER_WORD_LAG, w.end + WHISPER_WORD_LAG) for w in words]
    spans = _snap_boundaries_to_pauses(shifted, _pauses(mask))
    starts = [_refine_start(start, end, mask) for start, end in spans]
    refined: list[RawWord] = []
    for i, w in enumerate(words):
        limit = starts[i + 1] if i + 1 < len(words) else len(mask) * FRAME_SECONDS
        end = max(_refine_end(spans[i][1], starts[i], limit, mask), starts[i])
        refined.append(RawWord(starts[i], end, w.text, w.probability))
    return refined


def _pauses(mask: np.ndarray) -> list[tuple[float, float]]:
    """Silent runs of at least MIN_PAUSE, as (start, end) seconds."""
    edges = np.diff(np.concatenate(([1], mask.astype(np.int8), [1])))
    run_starts, run_ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
    min_frames = round(MIN_PAUSE / FRAME_SECONDS)
    return [
        (a * FRAME_SECONDS, b * FRAME_SECONDS)
        for a, b in zip(run_starts, run_ends, strict=True)
        if b - a >= min_frames
    ]


def _snap_boundaries_to_pauses(
    spans: list[tuple[float, float]], pauses: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Give each word boundary the nearest unused pause, in time order."""
    spans = list(spans)
    next_pause = 0
    for j in range(1, len(spans)):
        (prev_start, prev_end), (start, end) = spans[j - 1], spans[j]
        best, best_distance = None, MAX_BOUNDARY_SHIFT
        for k in range(next_pause, len(pauses)):
            a, b = pauses[k]
            if a > end:
                break
            # The pause must leave both words some sound of their own.
            if a <= prev_start + MIN_WORD or b >= end - MIN_WORD:
                continue
            distance = max(0.0, a - start, min(prev_end, start) - b)
            if distance <= best_distance:
                best, best_distance = k, distance
        if best is not None:
            a, b = pauses[best]
            spans[j - 1], spans[j] = (prev_start, a), (b, end)
            next_pause = best + 1
    return spans


def refine_segment_times(
    segments: Sequence[RawSegment], audio: np.ndarray, sample_rate: int
) -> list[RawSegment]:
    """`refine_word_times` over the words of all segments at once (a word's end may not
    reach past the next segment's first word)."""
    words = [w for s in segments for w in s.words]
    refined = iter(refine_word_times(words, audio, sample_rate))
    return [replace(s, words=tuple(next(refined) for _ in s.words)) for s in segments]


def _refine_start(start: float, end: float, mask: np.ndarray) -> float:
    first, last = _frame(start, mask), _frame(end, mask)
    if mask[first]:
        return start
    sound = np.flatnonzero(mask[first:last])
    return start if sound.size == 0 else (first + sound[0]) * FRAME_SECONDS


def _refine_end(end: float, start: float, limit: float, mask: np.ndarray) -> float:
    end_frame = _frame(end - 1e-6, mask)
    if not mask[end_frame]:
        first = _frame(start, mask)
        sound = np.flatnonzero(mask[first : end_frame + 1])
        return end if sound.size == 0 else (first + sound[-1] + 1) * FRAME_SECONDS
    reaches_next = limit <= end + MAX_END_EXTENSION
    stop = _frame(min(limit, end + MAX_END_EXTENSION), mask)
    silent = np.flatnonzero(~mask[end_frame:stop])
    if silent.size:
        return max(end, (end_frame + silent[0]) * FRAME_SECONDS)
    # Sound all the way: it runs into the next word, or its end is beyond what we may tell.
    return max(end, limit) if reaches_next else end


def _frame(t: float, mask: np.ndarray) -> int:
    return min(max(int(t / FRAME_SECONDS), 0), len(mask) - 1)
