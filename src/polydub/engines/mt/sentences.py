"""Split a dub segment into sentences before neural translation, and join the results back.

Sentence-level NMT models (Bergamot, Opus-MT, NLLB) were trained on single sentences: given
several at once they drop some or glue them together, so engines translate sentence by sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# A sentence ends at . ! ? or an ellipsis (plus closing quotes/brackets), before whitespace and
# an opening character that can start a sentence.
_BOUNDARY = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’»)\]]))\s+(?=[\"'“‘«(\[¿¡]?[^\W_a-zß-ÿ])")
# Abbreviations whose period does not end a sentence (English, Portuguese, Spanish, French...).
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr sra srs srta st jr vs e.g i.e p.m a.m u.s fig vol".split()
)


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; each line break also ends a sentence.

    Args:
        text: one segment's text, possibly several sentences or lines.

    Returns:
        Non-empty sentences with their surrounding whitespace removed, in order.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _BOUNDARY.finditer(line):
            candidate = line[start : match.start()]
            if _ends_with_abbreviation(candidate):
                continue
            sentences.append(candidate)
            start = match.end()
        sentences.append(line[start:])
    return [s.strip() for s in sentences if s.strip()]


def _ends_with_abbreviation(candidate: str) -> bool:
    words = candidate.rstrip("\"'”’»)]").split()
    if not words:
        return False
    last = words[-1].rstrip(".").casefold()
    # A single capital before the period is an initial ("J. Smith"), not a sentence end.
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def translate_by_sentence(
    texts: Sequence[str], translate_sentences: Callable[[list[str]], list[str]]
) -> list[str]:
    """Translate each text sentence by sentence, in one batched call for all texts.

    Args:
        texts: the texts to translate.
        translate_sentences: translates a list of distinct sentences, one output per input.

    Returns:
        One translation per text: its translated sentences joined by single spaces.
    """
    per_text = [split_sentences(text) for text in texts]
    # Dubbing repeats short lines ("Yes.", "Thank you."): translate each distinct sentence once.
    distinct = list(dict.fromkeys(s for sentences in per_text for s in sentences))
    translated = translate_sentences(distinct) if distinct else []
    if len(translated) != len(distinct):
        raise ValueError(f"got {len(translated)} translations for {len(distinct)} sentences")
    lookup = {s: t.strip() for s, t in zip(distinct, translated, strict=True)}
    return [" ".join(lookup[s] for s in sentences if lookup[s]) for sentences in per_text]
