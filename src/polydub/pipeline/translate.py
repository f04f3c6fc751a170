"""Stage 5, translate: every segment into the target language, glossary terms enforced."""

from __future__ import annotations

from polydub.domain.glossary import Glossary
from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.engines.mt.pivot import PivotTranslator
from polydub.pipeline.artifacts import DiarizationArtifact, GlossaryMiss, TranslationArtifact
from polydub.pipeline.glossary import translate_with_glossary

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
    request = TranslationRequest(
        context=transcript.text, max_chars=length_targets(segments, max_rate)
    )
    if source == target:
        translations, misses = list(texts), []
    else:
        translations, violations = translate_with_glossary(
            translator, texts, source, target, glossary, request
        )
        misses = [
            GlossaryMiss(
                segment=segments[v.index].index, source_term=v.source, target_term=v.target
            )
            for v in violations
        ]
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
        glossary_misses=misses,
    )
