"""The translation task: fetch a batch's input once, dub it into each of its languages, and keep
each translation row's status, progress, outputs and report up to date.

Each language is dubbed by its own call to the pipeline. The source-side stages (ingest ..
diarize) run once, for the first language, and the others reuse their checkpoints; what a
separate call buys is that each language completes, fails or is cancelled on its own, and a
client sees its video as soon as it is ready.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from polydub.domain.language import language_name
from polydub.errors import JobCancelled, PolydubError
from polydub.jobs.executor import shared_engines
from polydub.jobs.inputs import resolve_input
from polydub.jobs.models import Batch, Translation
from polydub.jobs.progress import StageProgress, raise_progress
from polydub.jobs.webhooks import notify_translation
from polydub.pipeline.dub import SOURCE_STAGES, TARGET_STAGES, DubOptions, dub

logger = logging.getLogger(__name__)

TOTAL_STAGES = len(SOURCE_STAGES) + len(TARGET_STAGES)
UNFINISHED = ("pending", "running")


def run_translation_batch(context, batch_id: str, should_cancel: Callable[[], bool]) -> None:
    """Run every unfinished translation of a batch; failures are recorded on the rows.

    `should_cancel` is the executor's shutdown flag: a job stopped by it stays `running` and
    resumes from its checkpoints on the next start.
    """
    with context.db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return
        request, owner_id = dict(batch.request), batch.owner_id
        row_ids = session.scalars(
            select(Translation.id)
            .where(Translation.batch_id == batch_id, Translation.status.in_(UNFINISHED))
            .order_by(Translation.created_at, Translation.id)
        ).all()
        batch.status = "running"
    if not row_ids:
        return
    try:
        source = resolve_input(context, owner_id, request["video"], "video")
        options = dub_options(context, owner_id, request)
    except Exception as exc:  # the whole batch shares the input: every language fails
        message = failure_message(exc)
        logger.warning("batch %s: input failed: %s", batch_id, message)
        for translation_id in row_ids:
            fail(context, translation_id, message)
        set_batch_status(context, batch_id)
        return
    for translation_id in row_ids:
        if should_cancel():
            return
        run_one(context, translation_id, source, options, should_cancel)
    set_batch_status(context, batch_id)


def dub_options(context, owner_id: str, request: dict) -> DubOptions:
    """The pipeline options a create request asks for (targets are set per translation)."""
    from polydub.jobs.request_options import request_dub_options

    # Shared with proofreads, so a translation generated from one reuses its checkpoints.
    options = request_dub_options(context, owner_id, request, ())
    if request.get("proofread_id"):
        from polydub.jobs.run_proofread import proofread_edits

        # DubOptions.edits is keyed by target code: {"es": {segment index: text}}.
        edits = proofread_edits(context, request["proofread_id"])
        options = dataclasses.replace(options, edits=edits)
    return options


# Where a job's request keeps its glossary's terms as they were when it was created.
GLOSSARY_SNAPSHOT = "_glossary_terms"


def request_glossary(session, owner_id: str, request: dict):
    """The brand glossary named by brand_glossary_id (or its legacy alias brand_voice_id):
    the request's snapshot of it when it has one, else the stored glossary."""
    from polydub.domain.glossary import Glossary

    if GLOSSARY_SNAPSHOT in request:
        return Glossary(terms=tuple(request[GLOSSARY_SNAPSHOT]))
    glossary_id = request.get("brand_glossary_id") or request.get("brand_voice_id")
    if not glossary_id:
        return None
    from polydub.jobs.glossaries import load_glossary

    return load_glossary(session, owner_id, glossary_id)


def with_glossary_snapshot(session, owner_id: str, request: dict) -> dict:
    """`request` with its glossary's terms copied in: a job translates with the terms it was
    created with, even if the glossary is edited or deleted before it runs, and every
    language of a batch gets the same ones."""
    glossary = request_glossary(session, owner_id, request)
    if glossary is None:
        return request
    return {**request, GLOSSARY_SNAPSHOT: [term.model_dump() for term in glossary.terms]}


class _Progress(StageProgress):
    """A translation row's progress."""

    def __init__(self, context, translation_id: str) -> None:
        super().__init__(
            TOTAL_STAGES, lambda value: raise_progress(context, Translation, translation_id, value)
        )


def run_one(
    context, translation_id: str, source: Path, options: DubOptions, stopping: Callable[[], bool]
) -> None:
    """Dub one translation; record completion, failure or (deleted) nothing."""
    with context.db.session() as session:
        row = session.get(Translation, translation_id)
        if row is None:
            return
        code = row.output_code
        row.status = "running"
    started = time.monotonic()
    outputs = context.settings.data_dir / "outputs" / translation_id

    def should_cancel() -> bool:
        return stopping() or cancelled(context, translation_id)

    try:
        results = dub(
            source,
            dataclasses.replace(options, targets=(code,)),
            shared_engines(context),
            work_root=context.settings.work_dir,
            output_stem=outputs / "video",
            on_event=_Progress(context, translation_id),
            should_cancel=should_cancel,
        )
        store_outputs(context, translation_id, results[0])
    except JobCancelled:
        if stopping():  # server shutdown: stays running, resumes on the next start
            logger.info("translation %s paused for shutdown", translation_id)
        else:  # deleted: nothing of it may remain
            logger.info("translation %s cancelled", translation_id)
            context.blobs.delete_prefix(f"translations/{translation_id}")
        return
    except Exception as exc:
        logger.exception("translation %s failed", translation_id)
        fail(context, translation_id, failure_message(exc))
        return
    finally:
        shutil.rmtree(outputs, ignore_errors=True)
    logger.info("translation %s completed in %.1fs", translation_id, time.monotonic() - started)
    notify_translation(context, translation_id)


def store_outputs(context, translation_id: str, result) -> None:
    """Copy the outputs into the blob store and mark the row completed."""
    prefix = f"translations/{translation_id}"
    blobs = context.blobs
    video_key, srt_key, vtt_key = put_result_files(blobs, prefix, result)
    report = result.report
    with context.db.session() as session:
        row = session.get(Translation, translation_id)
        if row is None:  # deleted while it ran: its files must not outlive it
            blobs.delete_prefix(prefix)
            return
        row.status = "completed"
        row.progress = 1.0
        row.video_key, row.srt_key, row.vtt_key = video_key, srt_key, vtt_key
        row.duration = report["timing"]["output_duration"]
        row.report = report
        row.failure_message = None
        row.completed_at = datetime.now(UTC)
        if not row.input_language:
            row.input_language = language_name(report["source"]["language"])


def put_result_files(blobs, prefix: str, result) -> tuple[str, str, str]:
    """The video and captions of a DubResult, stored under `prefix`: their keys."""
    return (
        blobs.put_file(f"{prefix}/video{result.video.suffix}", result.video),
        blobs.put_file(f"{prefix}/captions.srt", result.srt),
        blobs.put_file(f"{prefix}/captions.vtt", result.vtt),
    )


def cancelled(context, translation_id: str) -> bool:
    """A DELETE asked to stop it: in this process (the executor) or already gone from the DB."""
    executor = context.executor
    if executor is not None and executor.is_cancelled(translation_id):
        return True
    with context.db.session() as session:
        cancel = session.scalar(
            select(Translation.cancel_requested).where(Translation.id == translation_id)
        )
    return cancel is None or bool(cancel)


def failure_message(exc: BaseException) -> str:
    """What a client is told: the error's own message, never a stack trace."""
    if isinstance(exc, PolydubError):
        return exc.message
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"internal error while dubbing ({type(exc).__name__}{': ' + text if text else ''})"


def fail(context, translation_id: str, message: str) -> None:
    set_row(
        context,
        translation_id,
        status="failed",
        failure_message=message,
        completed_at=datetime.now(UTC),
    )
    notify_translation(context, translation_id)


def set_row(context, translation_id: str, **values) -> None:
    # A Core UPDATE: a row deleted meanwhile is simply not updated (no stale-row error).
    with context.db.session() as session:
        session.execute(
            update(Translation).where(Translation.id == translation_id).values(**values)
        )


def set_batch_status(context, batch_id: str) -> None:
    with context.db.session() as session:
        statuses = set(
            session.scalars(select(Translation.status).where(Translation.batch_id == batch_id))
        )
        batch = session.get(Batch, batch_id)
        if batch is None:
            return
        if statuses & set(UNFINISHED):
            batch.status = "running"
        elif "failed" in statuses:
            batch.status = "failed"
        else:
            batch.status = "completed"
