"""What must come through translation unchanged, and which words an engine left untranslated.

Kept as said (through the glossary's placeholders, so every engine keeps them): URLs, e-mail
addresses, numbers, and names of people and products. A name is a capitalised word the source
language's lexicon reads only as a person's name (`Jon`), as a surname (`Smith`, though also a
noun), or does not know at all (`Polydub`); places the lexicon knows (`London`) are left to the
engine, which localises them (`Londres`). Without a lexicon for the source language, only URLs,
addresses and numbers are protected: capitals alone do not make a name (German nouns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from polydub.domain.glossary import GlossaryTerm
from polydub.engines.mt.lexicon import Lexicon

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# 2019, 3.5, 10,000, 1.000.000 (not a digit inside a word: "3pm", "mp4")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_PLACE, _TOPONYM = "<loc>", "<top>"  # Apertium's tags for place names


def protected_terms(
    texts: Sequence[str], lexicon: Lexicon | None, *, glossary_sources: set[str] = frozenset()
) -> list[GlossaryTerm]:
    """Terms of `texts` to keep as they are, each once, in order of first occurrence.

    Args:
        texts: the source texts.
        lexicon: the source language's lexicon, or None.
        glossary_sources: the user's glossary terms (casefolded): theirs win.
    """
    found: dict[str, None] = {}
    for text in texts:
        for pattern in (_URL, _EMAIL, _NUMBER):
            for match in pattern.finditer(text):
                found.setdefault(match[0].rstrip("."), None)
    if lexicon is not None:
        for name in _names(texts, lexicon):
            found.setdefault(name, None)
    return [
        GlossaryTerm(source=term, case_sensitive=True)
        for term in found
        if term.casefold() not in glossary_sources
    ]


def _names(texts: Sequence[str], lexicon: Lexicon) -> list[str]:
    candidates = [w for text in texts for w in _WORD.findall(text) if _capitalised(w)]
    readings = lexicon.readings(candidates)
    names = []
    for word in candidates:
        tags = readings[word]
        if not tags:
            names.append(word)  # unknown to the lexicon: a name or a product
        elif any(_PLACE in t or _TOPONYM in t for t in tags):
            continue  # places are localised by the engine ("London" -> "Londres")
        elif all("<np>" in t for t in tags) or any("<cog>" in t for t in tags):
            names.append(word)  # only a name, or a surname that is also a word ("Smith")
    return list(dict.fromkeys(names))


def _capitalised(word: str) -> bool:
    # "I", "OK": too short or all capitals are words, not names.
    return len(word) >= 2 and word[0].isupper() and not word.isupper()


def untranslated_words(
    source: str,
    translation: str,
    target_lexicon: Lexicon | None,
    kept: set[str],
) -> list[str]:
    """Words of `source` that appear unchanged in `translation` and that the target language
    does not have (by its lexicon; without one, words of 4+ letters), names and terms kept on
    purpose (`kept`) excepted."""
    # Terms kept on purpose are taken out whole first: "www.polydub.example" holds words too.
    for term in sorted(kept, key=len, reverse=True):
        source, translation = source.replace(term, " "), translation.replace(term, " ")
    source_words = {w.casefold() for w in _WORD.findall(source)}
    kept_folded = {k.casefold() for k in kept}
    same = [
        w
        for w in dict.fromkeys(_WORD.findall(translation))
        if w.casefold() in source_words and w.casefold() not in kept_folded and len(w) >= 3
    ]
    if not same:
        return []
    if target_lexicon is None:
        return [w for w in same if len(w) >= 4]
    readings = target_lexicon.readings(same)
    return [w for w in same if not readings[w]]
