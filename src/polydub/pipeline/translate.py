"""Stage 5, translate: every segment into the target language, glossary terms enforced."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from polydub.domain.glossary import Glossary
from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.engines.mt.lexicon import lexicon_for
from polydub.engines.mt.pivot import PivotTranslator
from polydub.errors import EngineError
from polydub.pipeline.artifacts import DiarizationArtifact, GlossaryMiss, TranslationArtifact
from polydub.pipeline.glossary import translate_with_glossary
from polydub.pipeline.protected_terms import protected_terms, untranslated_words
from polydub.pipeline.sentence_units import SentenceUnit, sentence_units, split_translation
from polydub.pipeline.translation_quality import line_quality, sentence_signal

logger = logging.getLogger(__name__)

# Typical speaking rate, characters per second, used to aim translations at their time slot.
CHARS_PER_SECOND = 15.0


def length_targets(segments, max_rate: float) -> list[int | None]:
    """A character budget per segment: what fits before the next line at the allowed rate."""
    targets: list[int | None] = []
    for k, seg in enumerate(segments):
        room = (segments[k + 1].start if k + 1 < len(segments) else seg.end + 1.0) - seg.start
        targets.append(max(8, int(room * CHARS_PER_SECOND * max_rate)))
    return targets


def translate(
    diarized: DiarizationArtifact,
    *,
    translator: Translator,
    target: str,
    glossary: Glossary | None,
    max_rate: float,
    back_translator: Translator | None = None,
) -> TranslationArtifact:
    """Translate every segment; `back_translator` (target -> source), when one exists, feeds
    the per-line quality signal."""
    transcript = diarized.transcript
    segments = transcript.segments
    source = transcript.language
    if source == target:
        return TranslationArtifact(
            source_language=source,
            target_language=target,
            engine="identity",
            segments=[s.model_copy(update={"translation": s.text.strip()}) for s in segments],
        )
    done = _translate_by_sentence(
        segments, translator, source, target, glossary, length_targets(segments, max_rate)
    )
    translated = [
        s.model_copy(update={"translation": t if s.text.strip() else ""})
        for s, t in zip(segments, done.translations, strict=True)
    ]
    untranslated = {
        s.index: words
        for s in translated
        if (words := untranslated_words(s.text, s.translation, lexicon_for(target), done.kept))
    }
    pivot = translator if isinstance(translator, PivotTranslator) else None
    return TranslationArtifact(
        source_language=source,
        target_language=target,
        engine=translator.name,
        segments=translated,
        route=pivot.route(source, target) if pivot else [],
        route_quality=pivot.expected_quality if pivot else None,
        carried_by_neighbour=done.carried,
        protected_terms=sorted(done.kept - done.user_terms),
        glossary_misses=done.misses,
        line_quality=_line_quality(translated, done, untranslated, back_translator, source, target),
    )


@dataclass
class _SentenceTranslation:
    translations: list[str]  # per segment
    misses: list[GlossaryMiss]
    carried: list[int]  # segments whose sentence left them no words
    units: list[SentenceUnit]
    unit_sources: list[str]
    unit_translations: list[str]
    kept: set[str]  # terms kept as said: the user's glossary and the detected names/numbers
    user_terms: set[str]


def _translate_by_sentence(segments, translator, source, target, glossary, budgets):
    """Each unit of segments that makes one sentence is translated whole (with the transcript
    as context for engines that read it), names, numbers and addresses protected, then the
    translation is split back over the unit's segments."""
    units = sentence_units(segments)
    unit_texts = [unit.text(segments) for unit in units]
    user_terms = tuple(glossary.terms) if glossary else ()
    user_sources = {t.source for t in user_terms}
    detected = protected_terms(
        unit_texts, lexicon_for(source), glossary_sources={s.casefold() for s in user_sources}
    )
    terms = Glossary(terms=(*user_terms, *detected))
    request = TranslationRequest(
        context=" ".join(unit_texts),
        max_chars=[sum(budgets[i] or 0 for i in unit.members) or None for unit in units],
    )
    translated, violations = translate_with_glossary(
        translator, unit_texts, source, target, terms if len(terms) else None, request
    )
    translated = [_as_capitalised(t, u) for t, u in zip(translated, unit_texts, strict=True)]
    translations = [""] * len(segments)
    carried = []
    for unit, text in zip(units, translated, strict=True):
        parts = [segments[i].text for i in unit.members]
        for i, piece in zip(unit.members, split_translation(text, parts), strict=True):
            translations[i] = piece
            if not piece and text.strip() and segments[i].text.strip():
                carried.append(segments[i].index)
    misses = [
        GlossaryMiss(
            segment=segments[units[v.index].members[0]].index,
            source_term=v.source,
            target_term=v.target,
        )
        for v in violations
        if v.source in user_sources  # a detected name that moved is not the user's term
    ]
    return _SentenceTranslation(
        translations=translations,
        misses=misses,
        carried=carried,
        units=units,
        unit_sources=unit_texts,
        unit_translations=translated,
        kept={t.source for t in detected} | user_sources,
        user_terms=user_sources,
    )


def _line_quality(translated, done, untranslated, back_translator, source, target):
    """Each line's quality signal; a line shares its sentence's back-translation agreement."""
    backs: list[str | None] = [None] * len(done.units)
    if back_translator is not None:
        try:
            backs = list(back_translator.translate(done.unit_translations, target, source))
        except EngineError as exc:  # the signal is a help, never a reason to fail the dub
            logger.warning("back-translation %s->%s failed: %s", target, source, exc)
    signals = {}
    for unit, unit_source, unit_translation, back in zip(
        done.units, done.unit_sources, done.unit_translations, backs, strict=True
    ):
        for i in unit.members:
            signals[i] = sentence_signal(unit_source, unit_translation, back)
    return [
        line_quality(seg.index, signals[i], untranslated.get(seg.index, []))
        for i, seg in enumerate(translated)
        if seg.text.strip()
    ]


def _as_capitalised(translation: str, source: str) -> str:
    """A sentence that starts with a capital starts its translation with one (after opening
    marks such as "¿"): rule-based engines that add a subject ("No era..." -> "il n'était...")
    leave it lower-case."""
    first = next((k for k, c in enumerate(translation) if c.isalpha()), None)
    opening = translation[:first] if first is not None else ""
    if first is None or not source[:1].isupper() or any(c.isalnum() for c in opening):
        return translation  # no letter, a lower-case source, or a number or name first
    return translation[:first] + translation[first].upper() + translation[first + 1 :]
