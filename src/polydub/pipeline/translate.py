"""Stage 5, translate: every segment into the target language, glossary terms enforced."""

from __future__ import annotations

from polydub.domain.glossary import Glossary
from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.engines.mt.pivot import PivotTranslator
from polydub.pipeline.artifacts import DiarizationArtifact, GlossaryMiss, TranslationArtifact
from polydub.pipeline.glossary import translate_with_glossary
from polydub.pipeline.sentence_units import sentence_units, split_translation

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
) -> TranslationArtifact:
    transcript = diarized.transcript
    segments = transcript.segments
    source = transcript.language
    texts = [s.text.strip() for s in segments]
    carried: list[int] = []
    if source == target:
        translations, misses = list(texts), []
    else:
        translations, misses, carried = _translate_by_sentence(
            segments, translator, source, target, glossary, length_targets(segments, max_rate)
        )
        translations = [t if text else "" for t, text in zip(translations, texts, strict=True)]
    translated = [
        s.model_copy(update={"translation": t}) for s, t in zip(segments, translations, strict=True)
    ]
    pivot = translator if isinstance(translator, PivotTranslator) and source != target else None
    return TranslationArtifact(
        source_language=source,
        target_language=target,
        engine=translator.name if source != target else "identity",
        segments=translated,
        route=pivot.route(source, target) if pivot else [],
        route_quality=pivot.expected_quality if pivot else None,
        carried_by_neighbour=carried,
        glossary_misses=misses,
    )


def _translate_by_sentence(segments, translator, source, target, glossary, budgets):
    """Each unit of segments that makes one sentence is translated whole (with the transcript
    as context for engines that read it), then split back over its segments.

    Returns the translations, the glossary misses, and the indexes of segments whose sentence
    gave them no words (a neighbour speaks the whole short translation)."""
    units = sentence_units(segments)
    unit_texts = [unit.text(segments) for unit in units]
    request = TranslationRequest(
        context=" ".join(unit_texts),
        max_chars=[sum(budgets[i] or 0 for i in unit.members) or None for unit in units],
    )
    translated, violations = translate_with_glossary(
        translator, unit_texts, source, target, glossary, request
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
    ]
    return translations, misses, carried
