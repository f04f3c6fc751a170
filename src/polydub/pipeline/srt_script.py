"""A user's SRT as the script: the source transcript (srt_role "input"), the translation
(srt_role "output"), or a proofread edit mapped back onto the segments.

Cues and segments are matched by number first (a proofread SRT has one cue per segment,
numbered segment index + 1), then by the time they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import srt

from polydub.domain.transcript import Segment, Transcript
from polydub.errors import InvalidInputError
from polydub.pipeline.artifacts import TranslationArtifact


@dataclass(frozen=True)
class NumberedCue:
    number: int  # the cue's number as written in the file
    start: float
    end: float
    text: str  # lines joined by spaces


def parse_numbered_srt(text: str, *, param: str = "srt") -> list[NumberedCue]:
    """Parse SRT text keeping each cue's number.

    Raises:
        InvalidInputError: the text is not SRT, or holds no cue with text.
    """
    try:
        subs = list(srt.parse(text.lstrip("\ufeff")))
    except (srt.SRTParseError, ValueError) as exc:
        raise InvalidInputError(f"not a valid SRT file: {exc}", param=param) from exc
    cues = [
        NumberedCue(
            number=int(s.index) if s.index is not None else k + 1,
            start=s.start.total_seconds(),
            end=s.end.total_seconds(),
            text=" ".join(s.content.split()),
        )
        for k, s in enumerate(subs)
    ]
    cues = [c for c in cues if c.text]
    if not cues:
        raise InvalidInputError("the SRT file holds no subtitles", param=param)
    return cues


def read_numbered_srt(path: Path, *, param: str = "srt") -> list[NumberedCue]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError("the SRT file is not UTF-8 text", param=param) from exc
    return parse_numbered_srt(text, param=param)


def transcript_from_srt(
    cues: list[NumberedCue], language: str, range_start: float, range_end: float
) -> Transcript:
    """Segments from the cues inside the translated range, in time order (srt_role "input")."""
    inside = sorted(
        (c for c in cues if c.end > range_start and c.start < range_end), key=lambda c: c.start
    )
    segments = [
        Segment(index=k, start=max(c.start, range_start), end=min(c.end, range_end), text=c.text)
        for k, c in enumerate(inside)
    ]
    if not segments:
        raise InvalidInputError(
            "the SRT file has no subtitle inside the translated time range", param="srt"
        )
    return Transcript(language=language, duration=range_end, segments=segments)


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def segment_at_time(segments: list[Segment], start: float, end: float) -> Segment:
    """The segment sharing most time with [start, end), else the one nearest to its middle."""
    best = max(segments, key=lambda s: _overlap(s.start, s.end, start, end))
    if _overlap(best.start, best.end, start, end) > 0:
        return best
    middle = (start + end) / 2
    return min(segments, key=lambda s: abs((s.start + s.end) / 2 - middle))


def texts_from_cues(
    segments: list[Segment], cues: list[NumberedCue], *, by_number: bool
) -> dict[int, str]:
    """Segment index -> the text of the cues mapped to it, joined in time order.

    With `by_number`, cue n goes to segment n - 1 when that segment exists (a proofread SRT);
    other cues go to the segment at their time.
    """
    by_index = {s.index: s for s in segments}
    gathered: dict[int, list[NumberedCue]] = {}
    for cue in cues:
        segment = by_index.get(cue.number - 1) if by_number else None
        if segment is None:
            segment = segment_at_time(segments, cue.start, cue.end)
        gathered.setdefault(segment.index, []).append(cue)
    return {
        index: " ".join(c.text for c in sorted(group, key=lambda c: c.start))
        for index, group in gathered.items()
    }


def translation_from_srt(
    segments: list[Segment], cues: list[NumberedCue], source: str, target: str
) -> TranslationArtifact:
    """The user's SRT as the translation (srt_role "output"): no machine translation; a segment
    no cue falls on is left silent."""
    texts = texts_from_cues(segments, cues, by_number=False)
    translated = [s.model_copy(update={"translation": texts.get(s.index, "")}) for s in segments]
    return TranslationArtifact(
        source_language=source, target_language=target, engine="srt", segments=translated
    )


def apply_edits(translated: TranslationArtifact, edits: dict[int, str]) -> TranslationArtifact:
    """A copy with the edited segments' translations replaced (proofread edits)."""
    if not edits:
        return translated
    segments = [
        s.model_copy(update={"translation": edits[s.index]}) if s.index in edits else s
        for s in translated.segments
    ]
    return translated.model_copy(update={"segments": segments})
