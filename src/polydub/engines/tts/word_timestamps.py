"""The words of a text and when each sounds in its synthesis.

The engine times what it spoke: runs of phonemes between word gaps (Speech.words). Those
runs are not always the text's words one for one (eSpeak reads "25" as two words and may
join a short word to the next), so the text's words are matched to them through their
phonemes: each word is phonemized alone, and the characters of those readings are aligned
with the characters the engine spoke. A word takes the time of the runs its phonemes landed
in; words sharing one run share its time in proportion to their matched phonemes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from polydub.engines.tts.base import PhonemeTiming

_EDGE_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$")


@dataclass(frozen=True)
class WordTime:
    word: str
    start: float
    end: float


def text_words(text: str) -> list[str]:
    """The text's words as a reader sees them: split at spaces, without the punctuation
    around them ("¿cómo" is "cómo", "don't" stays), punctuation-only pieces left out."""
    return [w for w in (_EDGE_PUNCTUATION.sub("", w) for w in text.split()) if w]


def word_timestamps(
    text: str, spans: Sequence[PhonemeTiming], phonemize: Callable[[str], str]
) -> list[WordTime]:
    """Each word of `text` with its start and end (seconds), in order; empty when the engine
    timed no words. `phonemize` reads one word as the engine would."""
    words = text_words(text)
    if not words or not spans:
        return []
    if len(words) == len(spans):
        return [
            WordTime(w, round(s.start, 3), round(s.end, 3))
            for w, s in zip(words, spans, strict=True)
        ]
    readings = ["".join(phonemize(w).split()) for w in words]
    mine, mine_word = _flatten(readings)
    spoken, spoken_span = _flatten([s.phoneme for s in spans])
    # shares[word][span] = phonemes of the word that landed in the span
    shares: list[dict[int, int]] = [{} for _ in words]
    matcher = SequenceMatcher(None, mine, spoken, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            word, span = mine_word[a + k], spoken_span[b + k]
            shares[word][span] = shares[word].get(span, 0) + 1
    return _place(words, shares, spans)


def _flatten(pieces: Sequence[str]) -> tuple[str, list[int]]:
    owner = [i for i, piece in enumerate(pieces) for _ in piece]
    return "".join(pieces), owner


def _place(
    words: list[str], shares: list[dict[int, int]], spans: Sequence[PhonemeTiming]
) -> list[WordTime]:
    # Each span's time is divided among the words in it, in word order, by matched phonemes.
    totals: dict[int, int] = {}
    for share in shares:
        for span, n in share.items():
            totals[span] = totals.get(span, 0) + n
    used: dict[int, int] = {}
    out: list[WordTime] = []
    floor = spans[0].start
    for word, share in zip(words, shares, strict=True):
        starts, ends = [], []
        for span in sorted(share):
            s = spans[span]
            before, n = used.get(span, 0), share[span]
            length = s.end - s.start
            starts.append(s.start + length * before / totals[span])
            ends.append(s.start + length * (before + n) / totals[span])
            used[span] = before + n
        if not starts:  # nothing of it was heard as such: a point where the last word ended
            starts, ends = [floor], [floor]
        start = max(min(starts), floor)
        end = max(max(ends), start)
        out.append(WordTime(word, round(start, 3), round(end, 3)))
        floor = start
    return out
