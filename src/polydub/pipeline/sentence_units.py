"""Translate whole sentences, then give each recognised segment its share of the translation.

Speech recognition cuts where the speaker pauses, not where sentences end ("Which folder |
should I save this message to?"); translated piece by piece, each half comes out a fragment.
So consecutive segments of one speaker that do not end a sentence are joined into a unit, the
unit is translated whole, and the translation is split back over the segments in proportion to
how much of the source each one says, at the word boundary nearest that share, preferring a
punctuation mark nearby. Captions and dub timing keep the speaker's rhythm.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from polydub.domain.transcript import Segment

# A segment whose text ends like this ends its sentence (closing quotes/brackets allowed).
_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’»)\]]*$")
# A pause this long ends a unit even without punctuation: the speaker started afresh.
MAX_GAP_S = 1.5
# Bounds on a unit, so an unpunctuated transcript does not become one giant "sentence".
MAX_SEGMENTS = 4
MAX_SPAN_S = 20.0
# How far (as a share of the translation's length) a split may move to land on punctuation.
_PUNCTUATION_REACH = 0.12
_PUNCTUATION = re.compile(r"[,;:.!?…—–)\]»”]$")


@dataclass(frozen=True)
class SentenceUnit:
    """Positions (in the segment list) of consecutive segments translated as one text."""

    members: tuple[int, ...]

    def text(self, segments: Sequence[Segment]) -> str:
        return " ".join(segments[i].text.strip() for i in self.members if segments[i].text.strip())


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.strip()))


def sentence_units(segments: Sequence[Segment]) -> list[SentenceUnit]:
    """Group segments into units: a unit ends at a sentence end, a speaker change, a long pause,
    or the size bounds."""
    units: list[SentenceUnit] = []
    current: list[int] = []
    for k, seg in enumerate(segments):
        if current:
            first, last = segments[current[0]], segments[current[-1]]
            if (
                ends_sentence(last.text)
                or not last.text.strip()
                or not seg.text.strip()
                or seg.speaker != last.speaker
                or seg.start - last.end > MAX_GAP_S
                or len(current) >= MAX_SEGMENTS
                or seg.end - first.start > MAX_SPAN_S
            ):
                units.append(SentenceUnit(tuple(current)))
                current = []
        current.append(k)
    if current:
        units.append(SentenceUnit(tuple(current)))
    return units


def split_translation(translation: str, source_parts: Sequence[str]) -> list[str]:
    """Cut `translation` into len(source_parts) pieces, each as long (relative to the whole)
    as its source part, at word boundaries, moved onto nearby punctuation where there is one.

    A piece may be empty when the translation has fewer words than there are parts.
    """
    if len(source_parts) <= 1:
        return [translation.strip()] * len(source_parts)
    words = translation.split()
    weights = [max(len(p.strip()), 1) for p in source_parts]
    total_weight = sum(weights)
    # ends[j]: characters of the translation up to and including word j (with spaces).
    ends, length = [], 0
    for word in words:
        length += len(word) + (1 if ends else 0)
        ends.append(length)
    anchors = _anchors(words, source_parts)
    cuts: list[int] = []  # after how many words each piece but the last ends
    share = 0.0
    for k, weight in enumerate(weights[:-1]):
        share += weight / total_weight
        after = cuts[-1] if cuts else 0
        low, high = after + 1, len(words) - (len(weights) - k - 1)
        # A name or number said in part <= k stays before the cut; one said later, after it.
        low_anchor = max((j + 1 for j, part in anchors if part <= k), default=low)
        high_anchor = min((j for j, part in anchors if part > k), default=high)
        if low <= max(low, low_anchor) <= min(high, high_anchor) <= high:
            low, high = max(low, low_anchor), min(high, high_anchor)
        cuts.append(_best_cut(words, ends, share * length, length, low, high))
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


def _anchor_key(word: str) -> str | None:
    """Names and numbers pass through translation unchanged: "Jon", "2024", "Polydub"."""
    core = word.strip(".,;:!?¿¡…\"'“”‘’«»()[]")
    if len(core) >= 2 and (any(c.isdigit() for c in core) or core[0].isupper()):
        return core
    return None


def _anchors(words: list[str], source_parts: Sequence[str]) -> list[tuple[int, int]]:
    """(translation word index, source part) for tokens found once in the translation and in
    exactly one source part: where they land tells which part a stretch belongs to."""
    in_parts: dict[str, set[int]] = {}
    for part, text in enumerate(source_parts):
        for word in text.split():
            key = _anchor_key(word)
            if key:
                in_parts.setdefault(key, set()).add(part)
    found: dict[str, list[int]] = {}
    for j, word in enumerate(words):
        key = _anchor_key(word)
        if key and key in in_parts:
            found.setdefault(key, []).append(j)
    return [
        (places[0], next(iter(in_parts[key])))
        for key, places in found.items()
        if len(places) == 1 and len(in_parts[key]) == 1
    ]


def _best_cut(
    words: list[str], ends: list[int], aim: float, length: int, low: int, high: int
) -> int:
    """How many words come before the cut nearest character `aim`, between `low` and `high`
    (fewer words than pieces: one word each while they last, then empty pieces)."""
    if low > high:
        return min(low, len(words))
    candidates = range(low, high + 1)
    reach = _PUNCTUATION_REACH * length
    punctuated = [
        n
        for n in candidates
        if _PUNCTUATION.search(words[n - 1]) and abs(ends[n - 1] - aim) <= reach
    ]
    return min(punctuated or candidates, key=lambda n: abs(ends[n - 1] - aim))
