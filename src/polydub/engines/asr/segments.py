"""Shape recognised words into segments fit for dubbing.

Whisper's segments follow its 30 s decoding windows, not sentences: one can run 20 s or more,
which is too long to translate and re-voice as a unit. Here we split long segments at the
strongest break (a sentence end, then the longest pause) and tighten every segment to its
words, since Whisper's own segment bounds carry padding that would misplace the dubbed line.
No model or library is needed here, so this logic is unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from polydub.domain.transcript import Segment, Word

# Dubbing lines longer than this are hard to translate and fit as one unit.
MAX_SEGMENT_SECONDS = 12.0
# Pieces shorter than this are avoided when a split elsewhere is possible.
MIN_PIECE_SECONDS = 2.0

_SENTENCE_END = (".", "!", "?", "。", "！", "？", "…", "؟", "।")
_CLAUSE_END = (",", ";", ":", "，", "；", "：", "、", "—", "–")


@dataclass(frozen=True)
class RawWord:
    """A word as the recogniser emits it: `text` keeps its leading space (or none, for
    languages written without spaces), so joining the texts rebuilds the sentence exactly."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class RawSegment:
    """A recogniser segment: its padded bounds, text and words."""

    start: float
    end: float
    text: str
    words: tuple[RawWord, ...] = ()


def build_segments(
    raw_segments: Iterable[RawSegment],
    *,
    duration: float,
    max_seconds: float = MAX_SEGMENT_SECONDS,
    min_piece_seconds: float = MIN_PIECE_SECONDS,
) -> list[Segment]:
    """Turn recogniser segments into numbered dubbing segments.

    Args:
        raw_segments: segments in time order, with word timestamps where available.
        duration: length of the audio; every time is clamped into [0, duration].
        max_seconds: segments longer than this are split at word boundaries.
        min_piece_seconds: a split leaving a piece shorter than this is used only when no
            other boundary exists.

    Returns:
        Segments whose start/end are their first word's start and last word's end, with
        empty segments dropped and indices 0, 1, 2, ... in time order.
    """
    pieces: list[list[RawWord]] = []
    wordless: list[RawSegment] = []
    for raw in raw_segments:
        words = _clean_words(raw.words, duration=duration)
        if words:
            pieces.extend(split_words(words, max_seconds, min_piece_seconds))
        elif any(ch.isalnum() for ch in raw.text):
            wordless.append(raw)

    segments = [_segment_from_words(words) for words in pieces]
    segments += [_segment_without_words(raw, duration) for raw in wordless]
    segments.sort(key=lambda s: s.start)
    return [s.model_copy(update={"index": i}) for i, s in enumerate(segments)]


def split_words(
    words: Sequence[RawWord],
    max_seconds: float = MAX_SEGMENT_SECONDS,
    min_piece_seconds: float = MIN_PIECE_SECONDS,
) -> list[list[RawWord]]:
    """Split a word run into pieces no longer than `max_seconds` (unless one word is).

    Each split goes at the best boundary by `_break_strength`, recursively, so the pieces
    follow the speech's own structure rather than a fixed grid.
    """
    if len(words) < 2 or words[-1].end - words[0].start <= max_seconds:
        return [list(words)]
    cut = _best_boundary(words, min_piece_seconds)
    return split_words(words[:cut], max_seconds, min_piece_seconds) + split_words(
        words[cut:], max_seconds, min_piece_seconds
    )


def _best_boundary(words: Sequence[RawWord], min_piece_seconds: float) -> int:
    """Index of the first word of the second piece at the strongest break."""
    total = words[-1].end - words[0].start
    best_cut, best_score = len(words) // 2, float("-inf")
    for cut in range(1, len(words)):
        left = words[cut - 1].end - words[0].start
        right = words[-1].end - words[cut].start
        score = _break_strength(words[cut - 1], words[cut])
        if min(left, right) < min_piece_seconds:
            score -= 100.0  # usable only when no boundary leaves two real pieces
        # A slight pull toward the middle breaks ties and avoids lopsided pieces.
        score -= 0.1 * abs(left - right) / max(total, 1e-6)
        if score > best_score:
            best_cut, best_score = cut, score
    return best_cut


def _break_strength(before: RawWord, after: RawWord) -> float:
    """How natural a cut between two words is: sentence end > long pause > clause end."""
    text = before.text.strip()
    pause = max(0.0, after.start - before.end)
    strength = min(pause, 2.0)
    if text.endswith(_SENTENCE_END):
        strength += 1.0
    elif text.endswith(_CLAUSE_END):
        strength += 0.3
    return strength


def _clean_words(words: Iterable[RawWord], *, duration: float) -> list[RawWord]:
    """Clamp word times into the audio, keep them ordered and apart; drop empty words.

    Words without a letter or digit ("...", "♪") are dropped: Whisper emits them on
    silence and music, and there is nothing in them to translate or voice.
    """
    cleaned: list[RawWord] = []
    previous_end = 0.0
    for w in words:
        if not any(ch.isalnum() for ch in w.text):
            continue
        start = min(max(w.start, previous_end, 0.0), duration)
        end = min(max(w.end, start), duration)
        cleaned.append(RawWord(start, end, w.text, w.probability))
        previous_end = end
    return cleaned


def _segment_from_words(words: Sequence[RawWord]) -> Segment:
    return Segment(
        index=0,
        start=words[0].start,
        end=words[-1].end,
        text="".join(w.text for w in words).strip(),
        words=[
            Word(start=w.start, end=w.end, text=w.text.strip(), probability=w.probability)
            for w in words
        ],
    )


def _segment_without_words(raw: RawSegment, duration: float) -> Segment:
    start = min(max(raw.start, 0.0), duration)
    return Segment(
        index=0, start=start, end=min(max(raw.end, start), duration), text=raw.text.strip()
    )
