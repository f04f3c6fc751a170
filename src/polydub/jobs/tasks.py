"""Celery tasks: one batch's source side once, then each language in parallel on any worker.

`source_side` fetches the input, runs ingest .. diarize, pushes those checkpoints to the blob
store and enqueues one `dub_language` per unfinished translation; each of those pulls the
checkpoints and runs translate .. mix (pushing each stage as it finishes), then enqueues a
`finish_language` (its own task kind, so lip-sync can be routed to GPU workers) that pulls
them and runs lipsync, render, report and stores the outputs; the last language to finish
sets the batch's status. An audio-only language has no lip-sync and finishes in
`dub_language`. A task run twice (redelivered after a worker died) resumes from the pushed
checkpoints; a row already finished is left alone. `lipsync_job` runs a Lip Sync job.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

from celery import shared_task
from sqlalchemy import select

from polydub.errors import JobCancelled
from polydub.jobs.models import Batch, Translation
from polydub.jobs.run_translation import (
    UNFINISHED,
    _Progress,
    dub_options,
    fail,
    failure_message,
    set_batch_status,
    set_row,
    store_outputs,
)

logger = logging.getLogger(__name__)

_context = None
_context_lock = threading.Lock()


def worker_context():
    """This worker process's ServiceContext (database, blob store, engines), built on first use
    in the process that runs tasks, never before the pool forks."""
    global _context
    with _context_lock:
        if _context is None:
            from polydub.config import load_settings
            from polydub.jobs.context import ServiceContext

            _context = ServiceContext.create(load_settings())
        return _context


def source_key(batch_id: str, source: Path) -> str:
    return f"batches/{batch_id}/source{source.suffix.lower()}"


@shared_task(name="polydub.source_side", acks_late=True, reject_on_worker_lost=True)
def source_side(batch_id: str) -> None:
    from polydub.jobs.celery_dispatch import enqueue_languages
    from polydub.jobs.inputs import resolve_input
    from polydub.jobs.worker_pipeline import run_shared_stages

    context = worker_context()
    with context.db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return
        request, owner_id = dict(batch.request), batch.owner_id
        row_ids = unfinished_rows(session, batch_id)
        batch.status = "running"
    if not row_ids:
        return
    for translation_id in row_ids:
        set_row(context, translation_id, status="running")
    try:
        source = resolve_input(context, owner_id, request["video"], "video")
        options = dub_options(context, owner_id, request)
        # Language tasks read the input from the store wherever they run.
        key = context.blobs.put_file(source_key(batch_id, source), source)
        run_shared_stages(context, row_ids, source, options)
    except JobCancelled:
        logger.info("batch %s cancelled before its languages started", batch_id)
        return
    except Exception as exc:  # the languages share the source side: every one fails
        logger.exception("batch %s: source side failed", batch_id)
        for translation_id in row_ids:
            fail(context, translation_id, failure_message(exc))
        finish_batch(context, batch_id)
        return
    enqueue_languages(context.settings, batch_id, row_ids, key)


@shared_task(name="polydub.dub_language", acks_late=True, reject_on_worker_lost=True)
def dub_language(batch_id: str, translation_id: str, input_key: str) -> None:
    """translate .. mix of one language; a dub with lip-sync then goes on as `finish_language`
    (routed as kind "lipsync", e.g. to GPU workers), an audio-only one finishes here."""
    run_language(batch_id, translation_id, input_key, stop_after="mix")


@shared_task(name="polydub.finish_language", acks_late=True, reject_on_worker_lost=True)
def finish_language(batch_id: str, translation_id: str, input_key: str) -> None:
    """lipsync, render, report of one language, from the checkpoints `dub_language` stored."""
    run_language(batch_id, translation_id, input_key, stop_after=None)


@shared_task(name="polydub.lipsync_job", acks_late=True, reject_on_worker_lost=True)
def lipsync_job(batch_id: str) -> None:
    """A Lip Sync job (its batch id is the job's id)."""
    from polydub.jobs.run_lipsync import run_lipsync_batch

    run_lipsync_batch(worker_context(), batch_id, lambda: False)


def run_language(
    batch_id: str, translation_id: str, input_key: str, *, stop_after: str | None
) -> None:
    """One language's target stages up to `stop_after` (then its finishing task is enqueued)
    or to the end (then its outputs are stored)."""
    from polydub.jobs.celery_dispatch import enqueue_finish
    from polydub.jobs.worker_pipeline import run_target_stages

    context = worker_context()
    with context.db.session() as session:
        row = session.get(Translation, translation_id)
        if row is None or row.status not in UNFINISHED:
            return  # deleted, or finished by an earlier delivery of this task
        request, owner_id = dict(session.get(Batch, batch_id).request), row.owner_id
        code = row.output_code
        row.status = "running"
        progress = _Progress(context, translation_id)
        # Earlier tasks' progress is already on the row: never report less than that.
        progress.written = row.progress or 0.0
    started = time.monotonic()
    outputs = context.settings.data_dir / "outputs" / translation_id
    try:
        source = context.blobs.path(input_key)
        options = dub_options(context, owner_id, request)
        result = run_target_stages(
            context, translation_id, source, options, code, outputs, progress, stop_after
        )
        if result is not None:
            store_outputs(context, translation_id, result)
    except JobCancelled:
        logger.info("translation %s cancelled", translation_id)
        context.blobs.delete_prefix(f"translations/{translation_id}")
        finish_batch(context, batch_id)
        return
    except Exception as exc:
        logger.exception("translation %s failed", translation_id)
        fail(context, translation_id, failure_message(exc))
        finish_batch(context, batch_id)
        return
    finally:
        shutil.rmtree(outputs, ignore_errors=True)
    if result is None:
        logger.info(
            "translation %s mixed in %.1fs; lip-sync goes on as finish-%s",
            translation_id,
            time.monotonic() - started,
            translation_id,
        )
        enqueue_finish(context.settings, batch_id, translation_id, input_key)
        return
    logger.info("translation %s completed in %.1fs", translation_id, time.monotonic() - started)
    from polydub.jobs.webhooks import notify_translation

    notify_translation(context, translation_id)
    finish_batch(context, batch_id)


@shared_task(name="polydub.proofread", acks_late=True, reject_on_worker_lost=True)
def proofread(batch_id: str) -> None:
    from polydub.jobs.run_proofread import run_proofread_batch

    run_proofread_batch(worker_context(), batch_id, lambda: False)


def finish_batch(context, batch_id: str) -> None:
    """Set the batch's status from its rows; once none is left to run, its stored input goes
    (checkpoints under work/ stay, for reruns and other languages of the same video)."""
    set_batch_status(context, batch_id)
    with context.db.session() as session:
        batch = session.get(Batch, batch_id)
        done = batch is None or batch.status in ("completed", "failed")
    if done:
        context.blobs.delete_prefix(f"batches/{batch_id}")


def unfinished_rows(session, batch_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Translation.id)
            .where(Translation.batch_id == batch_id, Translation.status.in_(UNFINISHED))
            .order_by(Translation.created_at, Translation.id)
        ).all()
    )


__all__ = [
    "source_side",
    "dub_language",
    "finish_language",
    "lipsync_job",
    "proofread",
    "worker_context",
]
