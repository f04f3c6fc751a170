"""A proofread's scripts in the blob store: each language's translated script as SRT (on the
source's times) with the segments it maps back to, and a reviewer's edited SRT mapped back
onto those segments as edits a translation generated from the proofread applies.

The proofread job runs the same source-side and translate checkpoints a translation would
(jobs/steps.py), so the translation generated from it starts at synthesis and re-synthesises
only edited lines.
"""

from __future__ import annotations

import json
from pathlib import Path

from polydub.domain.language import language_name
from polydub.domain.transcript import Segment
from polydub.errors import InvalidInputError
from polydub.jobs.models import Proofread
from polydub.pipeline.proofread import edits_from_cues, proofread_srt
from polydub.pipeline.segment_edits import Edits, normalised
from polydub.pipeline.srt_script import read_numbered_srt


def blob_keys(proofread_id: str) -> dict[str, str]:
    """Where a proofread's files live in the blob store."""
    prefix = f"proofreads/{proofread_id}"
    return {
        "srt": f"{prefix}/translation.srt",
        "segments": f"{prefix}/segments.json",
        "edited_srt": f"{prefix}/edited.srt",
        "edits": f"{prefix}/edits.json",
        "quality": f"{prefix}/quality.json",
    }


def store_script(context, proofread_id: str, translated) -> None:
    """Publish one language's script (SRT on source times) and the segments it maps back to."""
    keys = blob_keys(proofread_id)
    blobs = context.blobs
    blobs.put_bytes(keys["srt"], proofread_srt(translated).encode("utf-8"))
    segments = [s.model_dump(mode="json", exclude={"words"}) for s in translated.segments]
    blobs.put_bytes(keys["segments"], json.dumps(segments, ensure_ascii=False).encode("utf-8"))
    quality = {str(q.index): q.score for q in translated.line_quality}
    blobs.put_bytes(keys["quality"], json.dumps(quality).encode("utf-8"))
    with context.db.session() as session:
        row = session.get(Proofread, proofread_id)
        if row is None:
            return
        row.srt_key = keys["srt"]
        row.input_language = language_name(translated.source_language)
        row.status = "completed"
        row.failure_message = None


def proofread_segments(context, proofread_id: str) -> list[Segment]:
    """The machine-translated segments of a completed proofread."""
    path: Path = context.blobs.path(blob_keys(proofread_id)["segments"])
    return [Segment.model_validate(s) for s in json.loads(path.read_text("utf-8"))]


def store_edited_srt(context, proofread_id: str, srt_file: Path) -> dict[int, str]:
    """Check a reviewer's SRT, map its cues onto the segments (by cue number, else by time),
    and keep it with the edits it makes; returns them (segment index -> new translation).

    Raises:
        InvalidInputError: param "srt", when the file is not SRT or has no subtitles.
    """
    cues = read_numbered_srt(srt_file, param="srt")
    edits = edits_from_cues(proofread_segments(context, proofread_id), cues)
    keys = blob_keys(proofread_id)
    context.blobs.put_file(keys["edited_srt"], srt_file)
    # The SRT is the whole script: it replaces every translation edit, and keeps the others
    # (speaker, voice, timing) made in the studio.
    merged = {
        i: {k: v for k, v in e.items() if k != "translation"}
        for i, e in segment_edits(context, proofread_id).items()
    }
    for index, text in edits.items():
        merged.setdefault(index, {})["translation"] = text
    store_segment_edits(context, proofread_id, merged)
    with context.db.session() as session:
        row = session.get(Proofread, proofread_id)
        if row is None:
            raise InvalidInputError("proofread not found", param="proofread_id")
        row.edited_srt_key = keys["edited_srt"]
    return edits


def segment_edits(context, proofread_id: str) -> Edits:
    """Segment index -> the fields a reviewer changed (translation, speaker, voice_id, start,
    end), by SRT upload or in the studio; empty when nothing was edited."""
    path = context.blobs.path(blob_keys(proofread_id)["edits"])
    if not path.is_file():
        return {}
    return normalised(json.loads(path.read_text("utf-8")))


def store_segment_edits(context, proofread_id: str, edits: Edits) -> None:
    payload = {str(index): entry for index, entry in sorted(edits.items()) if entry}
    context.blobs.put_bytes(
        blob_keys(proofread_id)["edits"], json.dumps(payload, ensure_ascii=False).encode()
    )


def translation_edits(context, proofread_id: str) -> dict[int, str]:
    """Segment index -> the reviewer's translation, for the segments whose text was edited."""
    return {
        i: e["translation"]
        for i, e in segment_edits(context, proofread_id).items()
        if "translation" in e
    }


def line_quality(context, proofread_id: str) -> dict[int, float]:
    """Segment index -> the translation-quality signal of its line (0..1)."""
    path = context.blobs.path(blob_keys(proofread_id)["quality"])
    if not path.is_file():
        return {}
    return {int(k): v for k, v in json.loads(path.read_text("utf-8")).items()}


def proofread_edits(context, proofread_id: str) -> dict[str, Edits]:
    """`segment_edits` keyed by the proofread's target code, as DubOptions.edits wants."""
    with context.db.session() as session:
        row = session.get(Proofread, proofread_id)
        code = row.output_code if row is not None else None
    if code is None:
        return {}
    return {code: segment_edits(context, proofread_id)}
