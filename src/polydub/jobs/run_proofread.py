"""The proofread task: transcribe and translate a video (no voices, no video), publish each
language's script as SRT, and map a reviewer's edited SRT back onto the segments.

The proofread runs the same source-side and translate checkpoints a translation would, so the
translation generated from it starts at synthesis, and re-synthesises only edited lines.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update

from polydub.domain.transcript import Segment
from polydub.errors import InvalidInputError, JobCancelled
from polydub.jobs.models import Batch, Proofread
from polydub.jobs.request_options import extra_dub_options  # noqa: F401  (runner imports it here)

logger = logging.getLogger(__name__)

__all__ = [
    "extra_dub_options",
    "run_proofread_batch",
    "translation_edits",
    "proofread_edits",
    "store_edited_srt",
    "blob_keys",
]


def blob_keys(proofread_id: str) -> dict[str, str]:
    """Where a proofread's files live in the blob store."""
    prefix = f"proofreads/{proofread_id}"
    return {
        "srt": f"{prefix}/translation.srt",
        "segments": f"{prefix}/segments.json",
        "edited_srt": f"{prefix}/edited.srt",
        "edits": f"{prefix}/edits.json",
    }


def run_proofread_batch(context, batch_id: str, should_cancel: Callable[[], bool]) -> None:
    """Translate a proofread batch's video into each of its languages and store the scripts.

    Failures are recorded on the rows (status "failed", failure_message); a shutdown
    (`should_cancel`) leaves them "processing", to resume from checkpoints on the next start.
    """
    from polydub.jobs.inputs import resolve_input
    from polydub.jobs.request_options import request_dub_options
    from polydub.jobs.run_translation import failure_message
    from polydub.jobs.worker_pipeline import run_translate_only

    with context.db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return
        request, owner_id = dict(batch.request), batch.owner_id
        rows = session.scalars(
            select(Proofread)
            .where(Proofread.batch_id == batch_id, Proofread.status == "processing")
            .order_by(Proofread.created_at, Proofread.id)
        ).all()
        targets = {row.id: row.output_code for row in rows}
        batch.status = "running"
    if not targets:
        return
    try:
        source = resolve_input(context, owner_id, request["video"], "video")
        codes = tuple(dict.fromkeys(targets.values()))
        options = request_dub_options(context, owner_id, request, codes)
        # Checkpoints go through the blob store when it is remote: the translation made
        # from this proofread may run on another worker.
        translations = run_translate_only(context, source, options, should_cancel)
        for proofread_id, code in targets.items():
            store_script(context, proofread_id, translations[code])
    except JobCancelled:
        logger.info("proofread batch %s paused for shutdown", batch_id)
        return
    except Exception as exc:
        logger.exception("proofread batch %s failed", batch_id)
        message = failure_message(exc)
        with context.db.session() as session:
            session.execute(
                update(Proofread)
                .where(Proofread.id.in_(list(targets)), Proofread.status == "processing")
                .values(status="failed", failure_message=message)
            )
            session.execute(update(Batch).where(Batch.id == batch_id).values(status="failed"))
        return
    with context.db.session() as session:
        session.execute(update(Batch).where(Batch.id == batch_id).values(status="completed"))
    logger.info("proofread batch %s completed", batch_id)


def store_script(context, proofread_id: str, translated) -> None:
    """Publish one language's script (SRT on source times) and the segments it maps back to."""
    from polydub.pipeline.proofread import proofread_srt

    keys = blob_keys(proofread_id)
    blobs = context.blobs
    blobs.put_bytes(keys["srt"], proofread_srt(translated).encode("utf-8"))
    segments = [s.model_dump(mode="json", exclude={"words"}) for s in translated.segments]
    blobs.put_bytes(keys["segments"], json.dumps(segments, ensure_ascii=False).encode("utf-8"))
    with context.db.session() as session:
        row = session.get(Proofread, proofread_id)
        if row is None:
            return
        row.srt_key = keys["srt"]
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
    from polydub.pipeline.proofread import edits_from_cues
    from polydub.pipeline.srt_script import read_numbered_srt

    cues = read_numbered_srt(srt_file, param="srt")
    edits = edits_from_cues(proofread_segments(context, proofread_id), cues)
    keys = blob_keys(proofread_id)
    context.blobs.put_file(keys["edited_srt"], srt_file)
    payload = {str(index): text for index, text in sorted(edits.items())}
    context.blobs.put_bytes(keys["edits"], json.dumps(payload, ensure_ascii=False).encode())
    with context.db.session() as session:
        row = session.get(Proofread, proofread_id)
        if row is None:
            raise InvalidInputError("proofread not found", param="proofread_id")
        row.edited_srt_key = keys["edited_srt"]
    return edits


def translation_edits(context, proofread_id: str) -> dict[int, str]:
    """Segment index -> the reviewer's translation, for the segments the edited SRT changed
    (empty when nothing was uploaded)."""
    path = context.blobs.path(blob_keys(proofread_id)["edits"])
    if not path.is_file():
        return {}
    return {int(k): v for k, v in json.loads(path.read_text("utf-8")).items()}


def proofread_edits(context, proofread_id: str) -> dict[str, dict[int, str]]:
    """`translation_edits` keyed by the proofread's target code, as DubOptions.edits wants."""
    with context.db.session() as session:
        row = session.get(Proofread, proofread_id)
        code = row.output_code if row is not None else None
    if code is None:
        return {}
    return {code: translation_edits(context, proofread_id)}
