"""A reviewer's edits to a proofread's segments: translation, speaker, voice and timing.

Edits are kept apart from the machine translation (segment index -> the fields changed), so the
translate checkpoint is never redone for them: `apply_segment_edits` lays them over it, and
`line_voices` says which lines a voice was chosen for.
"""

from __future__ import annotations

from collections.abc import Mapping

from polydub.domain.transcript import Segment
from polydub.errors import InvalidInputError
from polydub.pipeline.artifacts import TranslationArtifact

EDIT_FIELDS = ("translation", "speaker", "voice_id", "start", "end")
# Times are kept to the millisecond: finer differences are not edits.
TIME_DIGITS = 3

SegmentEdit = dict  # a subset of EDIT_FIELDS -> value
Edits = dict[int, SegmentEdit]


def normalised(edits: Mapping) -> Edits:
    """Edits as stored (JSON keys are strings; a legacy entry is the translation alone)."""
    out: Edits = {}
    for key, value in edits.items():
        entry = {"translation": value} if isinstance(value, str) else dict(value)
        entry = {k: v for k, v in entry.items() if k in EDIT_FIELDS and v is not None}
        if entry:
            out[int(key)] = entry
    return out


def merge_edits(
    segments: list[Segment],
    current: Edits,
    changes: list[dict],
    *,
    voices: set[str] | None = None,
) -> Edits:
    """`current` with `changes` (each {"index", field: value, ...}) applied and checked.

    A change equal to the machine's value drops that field's edit (an edit undone is none);
    "voice_id": None clears a voice. Checked against the result: indexes exist, end > start,
    neighbours (by start) do not overlap, speakers are the video's, voices are among `voices`
    (when given).

    Raises:
        InvalidInputError: param "segments[i].<field>" of the change at fault.
    """
    by_index = {s.index: s for s in segments}
    merged = {i: dict(e) for i, e in current.items()}
    for n, change in enumerate(changes):
        index = change.get("index")
        if index not in by_index:
            raise InvalidInputError(f"no segment {index!r}", param=f"segments[{n}].index")
        seg = by_index[index]
        entry = merged.get(index, {})
        for field in EDIT_FIELDS:
            if field not in change:
                continue
            value = change[field]
            if field == "voice_id" and value is not None and voices is not None:
                if value not in voices:
                    raise InvalidInputError(
                        f"voice {value!r} not found", param=f"segments[{n}].voice_id"
                    )
            if field == "speaker" and value is not None:
                if value not in {s.speaker for s in segments}:
                    raise InvalidInputError(
                        f"no speaker {value!r} in this video", param=f"segments[{n}].speaker"
                    )
            if field in ("start", "end") and value is not None:
                value = round(float(value), TIME_DIGITS)
            if field == "translation" and value is not None:
                value = " ".join(str(value).split())
            original = _machine_value(seg, field)
            if value is None or value == original:
                entry.pop(field, None)
            else:
                entry[field] = value
        merged[index] = entry
        start, end = _times(seg, entry)
        if end <= start:
            raise InvalidInputError(
                f"segment {index}: end {end} is not after start {start}",
                param=f"segments[{n}].end",
            )
    merged = {i: e for i, e in merged.items() if e}
    _check_order(segments, merged, changes)
    return merged


def _machine_value(seg: Segment, field: str):
    if field == "translation":
        return " ".join(seg.translation.split())
    if field == "voice_id":
        return None
    if field in ("start", "end"):
        return round(getattr(seg, field), TIME_DIGITS)
    return getattr(seg, field)


def _times(seg: Segment, entry: SegmentEdit) -> tuple[float, float]:
    return entry.get("start", seg.start), entry.get("end", seg.end)


def _check_order(segments: list[Segment], edits: Edits, changes: list[dict]) -> None:
    """Spoken segments, in order of start, may touch but not overlap."""
    timed = sorted(
        (_times(s, edits.get(s.index, {})) + (s.index,) for s in segments), key=lambda t: t[0]
    )
    changed = {c.get("index"): n for n, c in enumerate(changes)}
    for (_, a_end, a), (b_start, _, b) in zip(timed, timed[1:], strict=False):
        if a_end > b_start + 1e-6:
            at = a if a in changed else b
            field = "end" if at == a else "start"
            raise InvalidInputError(
                f"segment {a} (ends {a_end}) overlaps segment {b} (starts {b_start})",
                param=f"segments[{changed.get(at, 0)}].{field}",
            )


def apply_segment_edits(translated: TranslationArtifact, edits: Edits) -> TranslationArtifact:
    """A copy with the edited segments' translation, speaker and times replaced (voices are
    not part of a segment: see `line_voices`)."""
    if not edits:
        return translated
    fields = ("translation", "speaker", "start", "end")
    segments = []
    for seg in translated.segments:
        entry = edits.get(seg.index, {})
        update = {k: entry[k] for k in fields if k in entry}
        segments.append(seg.model_copy(update=update) if update else seg)
    return translated.model_copy(update={"segments": segments})


def line_voices(edits: Edits) -> dict[int, str]:
    """Segment index -> the voice a reviewer chose for that line."""
    return {i: e["voice_id"] for i, e in edits.items() if e.get("voice_id")}
