"""The Lip Sync job: the user's video and the user's audio through the pipeline's own-audio path
(ingest, separate, place the audio, caption it, mix over the kept background, lipsync, render,
report), with the job row's status, progress, outputs and webhook kept up to date.

It is the same engine a translation with an `audio` field runs, so both share checkpoints: a
lip sync of a video already separated for a translation starts at the fit stage.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, update

from polydub.errors import JobCancelled
from polydub.jobs.executor import shared_engines
from polydub.jobs.inputs import resolve_input
from polydub.jobs.models import Batch, Lipsync
from polydub.jobs.progress import StageProgress, raise_progress
from polydub.jobs.run_translation import failure_message, put_result_files
from polydub.jobs.webhooks import notify_lipsync
from polydub.pipeline.dub import dub

logger = logging.getLogger(__name__)

# The own-audio path's stages: ingest, separate, fit, captions, mix, lipsync, render, report.
LIPSYNC_STAGES = 8
# The pipeline names each output after a target language; a lip sync has none of its own.
OUTPUT_LABEL = "und"
UNFINISHED = ("pending", "running")


def blob_prefix(lipsync_id: str) -> str:
    return f"lipsyncs/{lipsync_id}"


def run_lipsync_batch(context, batch_id: str, should_cancel: Callable[[], bool]) -> None:
    """Run the lip sync whose id is `batch_id`, unless it finished or was deleted.

    `should_cancel` is the executor's shutdown flag: a job stopped by it stays `running` and
    resumes from its checkpoints on the next start.
    """
    with context.db.session() as session:
        row = session.get(Lipsync, batch_id)
        batch = session.get(Batch, batch_id)
        if row is None or batch is None or row.status not in UNFINISHED:
            return
        request, owner_id = dict(batch.request), row.owner_id
        row.status = batch.status = "running"
    started = time.monotonic()
    outputs = context.settings.data_dir / "outputs" / batch_id

    def cancel() -> bool:
        return should_cancel() or deleted(context, batch_id)

    try:
        video = resolve_input(context, owner_id, request["video"], "video")
        options = lipsync_options(context, owner_id, request)
        results = dub(
            video,
            options,
            shared_engines(context),
            work_root=context.settings.work_dir,
            output_stem=outputs / "video",
            on_event=StageProgress(
                LIPSYNC_STAGES, lambda value: raise_progress(context, Lipsync, batch_id, value)
            ),
            should_cancel=cancel,
        )
        store_outputs(context, batch_id, results[0])
    except JobCancelled:
        if should_cancel():
            logger.info("lip sync %s paused for shutdown", batch_id)
        else:
            logger.info("lip sync %s cancelled", batch_id)
            context.blobs.delete_prefix(blob_prefix(batch_id))
        return
    except Exception as exc:
        logger.exception("lip sync %s failed", batch_id)
        finish(context, batch_id, status="failed", failure_message=failure_message(exc))
        notify_lipsync(context, batch_id)
        return
    finally:
        shutil.rmtree(outputs, ignore_errors=True)
    logger.info("lip sync %s completed in %.1fs", batch_id, time.monotonic() - started)
    notify_lipsync(context, batch_id)


def lipsync_options(context, owner_id: str, request: dict):
    """The pipeline options of a lip sync request: the translation request's own-audio options
    (the fields share names with HeyGen's translation request), one output, no translation."""
    from polydub.jobs.request_options import request_dub_options

    return request_dub_options(context, owner_id, request, (OUTPUT_LABEL,))


def store_outputs(context, lipsync_id: str, result) -> None:
    """Copy the outputs into the blob store and mark the row completed."""
    prefix = blob_prefix(lipsync_id)
    blobs = context.blobs
    video_key, srt_key, vtt_key = put_result_files(blobs, prefix, result)
    report = result.report
    with context.db.session() as session:
        row = session.get(Lipsync, lipsync_id)
        if row is None:  # deleted while it ran: its files must not outlive it
            blobs.delete_prefix(prefix)
            return
        row.video_key, row.srt_key, row.vtt_key = video_key, srt_key, vtt_key
        row.duration = report["timing"]["output_duration"]
        row.report = report
    finish(context, lipsync_id, status="completed", progress=1.0, failure_message=None)


def finish(context, lipsync_id: str, **values) -> None:
    """Set the row's final status, and its batch's."""
    set_row(context, lipsync_id, completed_at=datetime.now(UTC), **values)
    with context.db.session() as session:
        session.execute(update(Batch).where(Batch.id == lipsync_id).values(status=values["status"]))


def deleted(context, lipsync_id: str) -> bool:
    """A DELETE removed the row (any API machine): the job stops at its next stage."""
    executor = context.executor
    if executor is not None and executor.is_cancelled(lipsync_id):
        return True
    with context.db.session() as session:
        return session.scalar(select(Lipsync.id).where(Lipsync.id == lipsync_id)) is None


def set_row(context, lipsync_id: str, **values) -> None:
    # A Core UPDATE: a row deleted meanwhile is simply not updated (no stale-row error).
    with context.db.session() as session:
        session.execute(update(Lipsync).where(Lipsync.id == lipsync_id).values(**values))
