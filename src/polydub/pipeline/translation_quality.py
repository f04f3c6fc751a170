"""A cheap per-line translation-quality signal a reviewer can sort by (worst lines first).

Three clues, none needing a reference translation:
- back-translation agreement: the translation translated back (by whatever route serves the
  reverse pair) against the source, as chrF (0-100); a garbled line rarely comes back whole;
- words the engine left in the source language;
- the length ratio: a translation far shorter or longer than its source usually lost or
  invented something.
`score` folds them into 0..1 (1 = no sign of trouble); it ranks lines, it is not a grade.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field

# Length ratios (translation / source characters) outside this band are suspicious for the
# European pairs served here (Spanish runs ~1.15x English).
_RATIO_BAND = (0.55, 1.9)
_UNTRANSLATED_PENALTY = 0.15
_RATIO_PENALTY = 0.2


class LineQuality(BaseModel):
    index: int  # the segment's index
    score: float
    back_translation_chrf: float | None = None  # None: no engine serves the reverse pair
    length_ratio: float | None = None
    untranslated: list[str] = Field(default_factory=list)


def chrf(hypothesis: str, reference: str, *, order: int = 6, beta: float = 2.0) -> float:
    """Character n-gram F-score (Popović 2015) as sacrebleu computes it at sentence level:
    n = 1..6 over the text without spaces, averaged precision and recall, recall weighted by
    `beta`; 0-100."""
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    if not hyp or not ref:
        return 100.0 if hyp == ref else 0.0
    precisions, recalls = [], []
    for n in range(1, order + 1):
        h = Counter(hyp[i : i + n] for i in range(len(hyp) - n + 1))
        r = Counter(ref[i : i + n] for i in range(len(ref) - n + 1))
        if not h or not r:
            continue
        overlap = sum((h & r).values())
        precisions.append(overlap / sum(h.values()))
        recalls.append(overlap / sum(r.values()))
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    return 100.0 * (1 + beta**2) * p * r / (beta**2 * p + r)


class SentenceSignal(BaseModel):
    """The clues a whole translated sentence gives; its lines share them."""

    score: float
    back_translation_chrf: float | None = None
    length_ratio: float | None = None


def sentence_signal(source: str, translation: str, back_translation: str | None) -> SentenceSignal:
    back = None if back_translation is None else round(chrf(back_translation, source), 1)
    ratio = round(len(translation) / len(source), 2) if source.strip() and translation else None
    score = 1.0 if back is None else back / 100.0
    if ratio is not None and not _RATIO_BAND[0] <= ratio <= _RATIO_BAND[1]:
        score -= _RATIO_PENALTY
    return SentenceSignal(score=score, back_translation_chrf=back, length_ratio=ratio)


def line_quality(index: int, sentence: SentenceSignal, untranslated: list[str]) -> LineQuality:
    score = sentence.score - _UNTRANSLATED_PENALTY * len(untranslated)
    return LineQuality(
        index=index,
        score=round(max(0.0, min(1.0, score)), 3),
        back_translation_chrf=sentence.back_translation_chrf,
        length_ratio=sentence.length_ratio,
        untranslated=untranslated,
    )
