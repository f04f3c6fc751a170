"""Glossary enforcement that works with every translation engine.

Engines that cannot take instructions get each term replaced by a placeholder (`XTERM0`,
`XTERM1`, ...: capitals plus a digit pass through both bundled engines untouched); after
translation each placeholder becomes the required target term. Engines that follow instructions
(LLMs) get the glossary in the request instead, so they can inflect around the term. Either way
the result is checked: every term whose source occurred must appear in the translation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from polydub.domain.glossary import Glossary, GlossaryTerm, parse_glossary_csv
from polydub.engines.mt.base import TranslationRequest, Translator

logger = logging.getLogger(__name__)

PLACEHOLDER = "XTERM{}"
# Engines sometimes mangle placeholders ("XTERM 0", "xterm0", "X-TERM0"); accept those too.
_PLACEHOLDER_FOUND = re.compile(r"(?<![^\W\d_])x\s?-?\s?term\s?-?\s?(\d+)(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class GlossaryViolation:
    """A term that occurred in a source text but is not in its translation.

    Attributes:
        index: the position of the text in the translated batch.
        source: the source term.
        target: the term the translation should have contained.
        reason: "placeholder lost" (the engine dropped or mangled the placeholder beyond
            recognition) or "term missing" (an instruction-following engine ignored the term).
    """

    index: int
    source: str
    target: str
    reason: str


def load_glossary_csv(path: str | Path) -> Glossary:
    """Read a glossary CSV file (see `parse_glossary_csv` for the accepted layouts).

    Raises:
        ValueError: a malformed row; the message names the file and the line.
    """
    path = Path(path)
    try:
        return parse_glossary_csv(path.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def find_terms(text: str, glossary: Glossary) -> list[GlossaryTerm]:
    """The glossary terms occurring in `text`, in order of first occurrence, each once."""
    pattern = _terms_pattern(glossary)
    if pattern is None:
        return []
    found = (glossary.terms[_group_index(m)] for m in pattern.finditer(text))
    return list(dict.fromkeys(found))


def protect(text: str, glossary: Glossary) -> tuple[str, dict[str, GlossaryTerm]]:
    """Replace each glossary term occurrence (whole words) with a placeholder.

    Args:
        text: a source text.
        glossary: the terms to protect; longer terms win over shorter overlapping ones.

    Returns:
        The text with placeholders, and placeholder -> term for the terms that occurred
        (numbered from XTERM0 in order of first occurrence; repeats share a placeholder).
    """
    pattern = _terms_pattern(glossary)
    if pattern is None:
        return text, {}
    numbers: dict[GlossaryTerm, str] = {}

    def replace(match: re.Match[str]) -> str:
        term = glossary.terms[_group_index(match)]
        if term not in numbers:
            numbers[term] = PLACEHOLDER.format(len(numbers))
        return numbers[term]

    protected = pattern.sub(replace, text)
    return protected, {placeholder: term for term, placeholder in numbers.items()}


def restore(text: str, mapping: dict[str, GlossaryTerm]) -> tuple[str, list[GlossaryTerm]]:
    """Replace placeholders in a translation with their required target terms.

    Args:
        text: a translation of a protected text.
        mapping: the placeholder -> term map `protect` returned.

    Returns:
        The restored text, and the terms whose placeholder is not in the translation.
    """
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        placeholder = PLACEHOLDER.format(int(match[1]))
        term = mapping.get(placeholder)
        if term is None:
            logger.warning("translation holds an unknown placeholder %r", match[0])
            return match[0]
        seen.add(placeholder)
        return term.required_target

    restored = _PLACEHOLDER_FOUND.sub(replace, text)
    missing = [term for placeholder, term in mapping.items() if placeholder not in seen]
    return restored, missing


def translate_with_glossary(
    translator: Translator,
    texts: list[str],
    source: str,
    target: str,
    glossary: Glossary | None,
    request: TranslationRequest | None = None,
    *,
    shorter_than: list[str] | None = None,
) -> tuple[list[str], list[GlossaryViolation]]:
    """Translate `texts` with `translator`, enforcing `glossary`, and report terms that failed.

    Args:
        translator: any engine.
        texts: the source texts.
        source: ISO 639-1 source language.
        target: ISO 639-1 target language.
        glossary: the terms; None or empty translates plainly.
        request: context and length targets, passed through to the engine.
        shorter_than: the current translations, too long for their slots: ask the engine for
            other phrasings aimed at `request.max_chars` (`Translator.shorten`) instead.

    Returns:
        One translation per text, and a violation per (text, term) whose required target is
        not in the translation.
    """
    request = request or TranslationRequest()

    def run(inputs: list[str], request: TranslationRequest) -> list[str]:
        if shorter_than is None:
            return translator.translate(inputs, source, target, request)
        return translator.shorten(inputs, shorter_than, source, target, request)

    if not glossary or not glossary.terms:
        return run(texts, request), []
    occurring = [find_terms(text, glossary) for text in texts]
    used = {term.source: term.required_target for terms in occurring for term in terms}
    request = TranslationRequest(
        context=request.context,
        max_chars=request.max_chars,
        glossary={**used, **request.glossary},
    )
    lost: list[list[GlossaryTerm]] = [[] for _ in texts]
    if translator.follows_instructions:
        translations = run(texts, request)
    else:
        protected = [protect(text, glossary) for text in texts]
        raw = run([p for p, _ in protected], request)
        translations = []
        for i, (translation, (_, mapping)) in enumerate(zip(raw, protected, strict=True)):
            restored, lost[i] = restore(translation, mapping)
            translations.append(restored)
    violations = [
        GlossaryViolation(
            index=i,
            source=term.source,
            target=term.required_target,
            reason="placeholder lost" if term in lost[i] else "term missing",
        )
        for i, terms in enumerate(occurring)
        for term in terms
        if not _contains(translations[i], term)
    ]
    if violations:
        logger.info("%s: %d glossary terms did not survive", translator.name, len(violations))
    return translations, violations


@lru_cache(maxsize=16)
def _terms_pattern(glossary: Glossary) -> re.Pattern[str] | None:
    """One regex matching every term as a whole word; group `t<i>` is term i."""
    if not glossary.terms:
        return None
    order = sorted(range(len(glossary.terms)), key=lambda i: -len(glossary.terms[i].source))
    alternatives = []
    for i in order:
        term = glossary.terms[i]
        body = _words_pattern(term.source)
        if not term.case_sensitive:
            body = f"(?i:{body})"
        alternatives.append(f"(?P<t{i}>{body})")
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _words_pattern(phrase: str) -> str:
    # "New York" also matches "New  York" or a line break between the words.
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _group_index(match: re.Match[str]) -> int:
    return int(match.lastgroup[1:])  # type: ignore[index]


def _contains(translation: str, term: GlossaryTerm) -> bool:
    pattern = rf"(?<!\w){_words_pattern(term.required_target)}(?!\w)"
    flags = 0 if term.case_sensitive else re.IGNORECASE
    return re.search(pattern, translation, flags) is not None
