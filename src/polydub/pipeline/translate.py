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
from polydub.pipeline.phrasing import (
    SOURCE_FILLERS,
    PhrasingAttempt,
    acceptable_shorter,
    char_budgets,
    without_fillers,
)
from polydub.pipeline.protected_terms import protected_terms, untranslated_words
from polydub.pipeline.sentence_units import SentenceUnit, sentence_units, split_translation
from polydub.pipeline.timing import TimingOptions
from polydub.pipeline.translation_quality import line_quality, sentence_signal

logger = logging.getLogger(__name__)


def translate(
    diarized: DiarizationArtifact,
    *,
    translator: Translator,
    target: str,
    glossary: Glossary | None,
    max_rate: float,
    back_translator: Translator | None = None,
    timing: TimingOptions | None = None,
) -> TranslationArtifact:
    """Translate every segment; `back_translator` (target -> source), when one exists, feeds
    the per-line quality signal. A sentence predicted too long for its segments' time (with
    `timing`'s pauses and early start) is asked of the engine again, shorter."""
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
    timing = timing or TimingOptions(max_rate=max_rate)
    done = _translate_by_sentence(
        segments, translator, source, target, glossary, char_budgets(segments, timing)
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
        phrasing=done.phrasing,
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
    phrasing: list[PhrasingAttempt]  # sentences predicted too long, and what was done


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
    unit_budgets = [sum(budgets[i] for i in unit.members) for unit in units]
    request = TranslationRequest(context=" ".join(unit_texts), max_chars=list(unit_budgets))
    glossary_used = terms if len(terms) else None
    translated, violations = translate_with_glossary(
        translator, unit_texts, source, target, glossary_used, request
    )
    translated = [_as_capitalised(t, u) for t, u in zip(translated, unit_texts, strict=True)]
    phrasing = _shorten_overlong(
        translated,
        violations,
        [[segments[i].index for i in unit.members] for unit in units],
        unit_texts,
        unit_budgets,
        lambda picked, current: translate_with_glossary(
            translator,
            [unit_texts[k] for k in picked],
            source,
            target,
            glossary_used,
            TranslationRequest(
                context=request.context,
                max_chars=[unit_budgets[k] for k in picked],
            ),
            shorter_than=current,
        ),
        lambda texts: translate_with_glossary(
            translator, texts, source, target, glossary_used, TranslationRequest()
        ),
        translator.shortens_by,
        kept=[t.source for t in detected] + [t.required_target for t in user_terms],
    )
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
        phrasing=phrasing,
    )


def _shorten_overlong(
    translated,
    violations,
    members,
    unit_texts,
    budgets,
    ask_shorter,
    translate_texts,
    method,
    *,
    kept,
) -> list[PhrasingAttempt]:
    """Ask again, shorter, for each unit translation longer than its budget; replace it (in
    `translated`, in place) where an acceptable shorter one comes back. An engine without a
    way to shorten translates the source again without the fillers it marks, where it has
    any. A unit whose shorter phrasing would lose one of the user's glossary terms keeps its
    first translation."""
    overlong = [k for k, text in enumerate(translated) if len(text) > budgets[k]]
    if not overlong:
        return []
    methods = dict.fromkeys(overlong, method)
    try:
        if method is not None:
            asked = overlong
            shorter, lost = ask_shorter(asked, [translated[k] for k in asked])
        else:
            plainer = {k: text for k in overlong if (text := without_fillers(unit_texts[k]))}
            asked = list(plainer)
            methods.update(dict.fromkeys(asked, SOURCE_FILLERS))
            shorter, lost = translate_texts(list(plainer.values())) if asked else ([], [])
    except EngineError as exc:  # a first translation exists: never fail the dub here
        logger.warning("asking for shorter phrasings failed: %s", exc)
        asked, shorter, lost = [], [], []
    lost_in = {asked[v.index] for v in lost}
    already_lost = {v.index for v in violations}
    candidates: dict[int, str] = {}
    for k, text in zip(asked, shorter, strict=False):
        text = _as_capitalised(text, unit_texts[k])
        if (k not in lost_in or k in already_lost) and acceptable_shorter(
            text, translated[k], kept
        ):
            candidates[k] = text
    attempts = []
    for k in overlong:
        before = len(translated[k])
        if k in candidates:
            translated[k] = candidates[k]
        outcome = (
            "engine cannot shorten"
            if methods[k] is None
            else "shortened"
            if k in candidates
            else "no shorter phrasing"
        )
        attempts.append(
            PhrasingAttempt(
                segments=members[k],
                budget_chars=budgets[k],
                chars_before=before,
                chars_after=len(translated[k]),
                method=methods[k],
                outcome=outcome,
            )
        )
    return attempts


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
