"""One job's life, written once for every job kind and both executors: claim it, report its
progress, notice a cancel, and end it completed (outputs stored), failed (with a message a
client can read) or discarded (deleted while it ran), then notify.

A job is a row a client polls: a video translation or a lip sync. Proofreads keep their own
statuses (jobs/proofread_scripts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from polydub.domain.language import language_name
from polydub.errors import JobCancelled, client_message
from polydub.jobs.job_batches import notify_batch_of_job
from polydub.jobs.models import Batch, Lipsync, Translation, VoiceClone
from polydub.jobs.progress import StageProgress, raise_progress
from polydub.jobs.stage_record import report_stages
from polydub.jobs.webhooks import notify_lipsync, notify_translation
from polydub.pipeline.dub import DubResult
from polydub.server_paths import scrub_paths

logger = logging.getLogger(__name__)

UNFINISHED = ("pending", "running")
FINISHED = ("completed", "failed")


@dataclass(frozen=True)
class JobTable:
    """Where one kind of job lives and how it is announced."""

    name: str  # "translation" | "lipsync" | "voice_clone"
    model: type[Translation] | type[Lipsync] | type[VoiceClone]
    blob_root: str  # its outputs live under <blob_root>/<job id>/
    notify: Callable[[object, str], object]

    def blob_prefix(self, job_id: str) -> str:
        return f"{self.blob_root}/{job_id}"


TRANSLATIONS = JobTable("translation", Translation, "translations", notify_translation)
LIPSYNCS = JobTable("lipsync", Lipsync, "lipsyncs", notify_lipsync)
# HeyGen sends no webhook for voice clones: a client polls GET /v3/voices/{id}.
VOICE_CLONES = JobTable("voice_clone", VoiceClone, "voice_clones", lambda context, job_id: None)
# Batch kinds whose job row has the batch's id (the others' rows point at it by batch_id).
OWN_ID_KINDS = {"lipsync": Lipsync, "voice_clone": VoiceClone}


@dataclass(frozen=True)
class ClaimedJob:
    """What a runner needs of a job row it claimed."""

    id: str
    owner_id: str
    batch_id: str
    output_code: str | None  # a translation's target language; None for a lip sync
    progress: float


def claim(context, table: JobTable, job_id: str) -> ClaimedJob | None:
    """Mark the job running; None when it is gone or already finished (a redelivered task)."""
    with context.db.session() as session:
        row = session.get(table.model, job_id)
        if row is None or row.status not in UNFINISHED:
            return None
        row.status = "running"
        batch_id = getattr(row, "batch_id", row.id)  # a lip sync's batch has its id
        return ClaimedJob(
            id=row.id,
            owner_id=row.owner_id,
            batch_id=batch_id,
            output_code=getattr(row, "output_code", None),
            progress=row.progress or 0.0,
        )


def is_cancelled(context, table: JobTable, job_id: str) -> bool:
    """A DELETE asked to stop it: in this process (the executor) or in the database (the row
    is gone, or flagged), from any API machine."""
    executor = context.executor
    if executor is not None and executor.is_cancelled(job_id):
        return True
    model = table.model
    flag = getattr(model, "cancel_requested", model.id)
    with context.db.session() as session:
        value = session.scalar(select(flag).where(model.id == job_id))
    return value is None or value is True


def progress_writer(context, table: JobTable, job: ClaimedJob, stages: int) -> StageProgress:
    """Stage events -> the row's progress; never below what earlier steps already stored."""
    progress = StageProgress(
        stages, lambda value: raise_progress(context, table.model, job.id, value)
    )
    progress.written = job.progress
    return progress


def complete(
    context, table: JobTable, job_id: str, result: DubResult, *, record: list[dict] = ()
) -> None:
    """Store the outputs, mark the job completed and notify; a job deleted meanwhile leaves
    no files behind. `record`: what the job's earlier steps ran (jobs/stage_record.py), so the
    report does not call their stages reused."""
    prefix = table.blob_prefix(job_id)
    blobs = context.blobs
    keys = {
        "video_key": blobs.put_file(f"{prefix}/video{result.video.suffix}", result.video),
        "srt_key": blobs.put_file(f"{prefix}/captions.srt", result.srt),
        "vtt_key": blobs.put_file(f"{prefix}/captions.vtt", result.vtt),
    }
    if result.audio is not None and hasattr(table.model, "audio_key"):
        keys["audio_key"] = blobs.put_file(f"{prefix}/audio{result.audio.suffix}", result.audio)
    report = {**result.report, "stages": report_stages(result.report["stages"], list(record))}
    with context.db.session() as session:
        row = session.get(table.model, job_id)
        if row is None:
            blobs.delete_prefix(prefix)
            return
        for name, key in keys.items():
            setattr(row, name, key)
        row.status, row.progress, row.failure_message = "completed", 1.0, None
        row.duration = report["timing"]["output_duration"]
        row.report = report
        row.completed_at = datetime.now(UTC)
        detected = report["source"]["language"]
        # "und": a dub of the user's own audio recognises no source speech; null, not a code.
        if table is TRANSLATIONS and not row.input_language and detected != "und":
            row.input_language = language_name(detected)
    logger.info("%s %s completed", table.name, job_id)
    table.notify(context, job_id)
    notify_batch_of_job(context, job_id)


def fail(context, table: JobTable, job_id: str, message: str) -> None:
    """Mark an unfinished job failed with `message` (what its client reads: no server path
    survives in it), and notify."""
    message = scrub_paths(message)
    model = table.model
    with context.db.session() as session:
        failed = session.execute(
            update(model)
            .where(model.id == job_id, model.status.in_(UNFINISHED))
            .values(status="failed", failure_message=message, completed_at=datetime.now(UTC))
        ).rowcount
    if failed:
        logger.warning("%s %s failed: %s", table.name, job_id, message)
        table.notify(context, job_id)
        notify_batch_of_job(context, job_id)


def discard(context, table: JobTable, job_id: str) -> None:
    """A job deleted while it ran: nothing of it may remain."""
    logger.info("%s %s cancelled", table.name, job_id)
    context.blobs.delete_prefix(table.blob_prefix(job_id))


def run_guarded(
    context,
    table: JobTable,
    job_ids: list[str],
    work: Callable[[], None],
    stopping: Callable[[], bool],
) -> bool:
    """Run `work` for the jobs `job_ids` (one job, or every job of a batch for shared work);
    True when it finished.

    A cancel is a pause when the executor is `stopping` (the jobs stay running and resume
    from their checkpoints on the next start) and a discard when the jobs were deleted; any
    other error fails the jobs, with a message a client can read.
    """
    try:
        work()
    except JobCancelled:
        if stopping():
            logger.info("%s %s paused for shutdown", table.name, ", ".join(job_ids))
        else:
            for job_id in job_ids:
                if is_cancelled(context, table, job_id):
                    discard(context, table, job_id)
        return False
    except Exception as exc:
        logger.exception("%s %s failed", table.name, ", ".join(job_ids))
        message = client_message(exc)
        for job_id in job_ids:
            fail(context, table, job_id, message)
        return False
    return True


def settle_batch(context, batch_id: str) -> str | None:
    """Set a batch's status from its jobs' and return it (None: the batch is gone); once
    none is left to run, the batch's staged input goes (checkpoints stay, for reruns)."""
    with context.db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return None
        model = OWN_ID_KINDS.get(batch.kind, Translation)
        key = model.id if batch.kind in OWN_ID_KINDS else model.batch_id
        statuses = set(session.scalars(select(model.status).where(key == batch_id)))
        if statuses & set(UNFINISHED):
            batch.status = "running"
        elif "failed" in statuses:
            batch.status = "failed"
        else:
            batch.status = "completed"
        status = batch.status
    if status in FINISHED:
        context.blobs.delete_prefix(staged_input_prefix(batch_id))
    return status


def staged_input_prefix(batch_id: str) -> str:
    """Where a batch's input video is kept while its jobs run (workers anywhere read it)."""
    return f"batches/{batch_id}"
