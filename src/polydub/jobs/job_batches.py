"""HeyGen's batches (JobBatch) as their items' jobs make them: each item's status
(queued | processing | completed | failed) and error, the batch's aggregate, and the batch's
one webhook, sent to its callback_url once every item has finished.

A job row says pending/running/completed/failed; a batch item without a job never became one
(its payload was refused) and carries the refusal as its error.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.jobs.models import (
    CALLBACK_DESTINATION,
    JobBatch,
    JobBatchItem,
    Lipsync,
    Translation,
    utcnow,
)
from polydub.jobs.webhook_endpoints import endpoints_for_event
from polydub.jobs.webhook_store import record_event
from polydub.request_ids import current_request_id

logger = logging.getLogger(__name__)

ITEM_STATUS = {
    "pending": "queued",
    "running": "processing",
    "completed": "completed",
    "failed": "failed",
}
UNFINISHED_ITEMS = ("queued", "processing")
# The event a batch's callback_url receives once all its items have finished.
# HeyGen's name for a finished batch (in its endpoints' event catalogue), for both kinds;
# event_data.kind tells them apart.
BATCH_EVENT = "batch.finished"


def job_model(kind: str) -> type[Translation] | type[Lipsync]:
    return Lipsync if kind == "lipsync" else Translation


def job_status(job) -> tuple[str, dict | None]:
    """A job row's item status and, when it failed, its error."""
    status = ITEM_STATUS[job.status]
    if status != "failed":
        return status, None
    return status, {"code": "job_failed", "message": job.failure_message or "the job failed"}


def jobs_by_id(session: Session, kind: str, owner_id: str, ids: Iterable[str | None]) -> dict:
    """The owner's jobs of `kind` among `ids`, by id (another key's are absent)."""
    wanted = [i for i in set(ids) if i]
    if not wanted:
        return {}
    model = job_model(kind)
    rows = session.scalars(select(model).where(model.id.in_(wanted), model.owner_id == owner_id))
    return {row.id: row for row in rows}


def item_entry(item: JobBatchItem, jobs: dict) -> dict:
    """One batch item as HeyGen reports it: item_index, status, video_id, error."""
    if item.job_id is None:
        status, error = "failed", item.error
    elif item.job_id in jobs:
        status, error = job_status(jobs[item.job_id])
    else:  # its job was deleted since
        status, error = "failed", {"code": "not_found", "message": "the job was deleted"}
    return {
        "item_index": item.item_index,
        "payload_index": item.payload_index,
        "status": status,
        "video_id": item.job_id,
        "error": error,
    }


def batch_items(session: Session, batch: JobBatch) -> list[dict]:
    """Every item of `batch`, in item_index order, with its job's status now."""
    items = list(
        session.scalars(
            select(JobBatchItem)
            .where(JobBatchItem.batch_id == batch.id)
            .order_by(JobBatchItem.item_index)
        )
    )
    jobs = jobs_by_id(session, batch.kind, batch.owner_id, (i.job_id for i in items))
    return [item_entry(item, jobs) for item in items]


def aggregate_status(statuses: Iterable[str]) -> str:
    """processing while any item is unfinished; failed when every item failed; else completed."""
    statuses = list(statuses)
    if any(s in UNFINISHED_ITEMS for s in statuses):
        return "processing"
    if statuses and all(s == "failed" for s in statuses):
        return "failed"
    return "completed"


def notify_batch_of_job(context, job_id: str) -> str | None:
    """After a job finished: its batch's webhook, if that was the batch's last unfinished
    item (see notify_batch)."""
    with context.db.session() as session:
        batch_id = session.scalar(
            select(JobBatchItem.batch_id).where(JobBatchItem.job_id == job_id).limit(1)
        )
    return None if batch_id is None else notify_batch(context, batch_id)


def notify_batch(context, batch_id: str) -> str | None:
    """Record the batch's webhook once every item has finished, for its callback_url and its
    owner's endpoints that take "batch.finished"; the event id, or None (nothing to send
    yet, or already recorded: one event per batch)."""
    with context.db.session() as session:
        batch = session.get(JobBatch, batch_id)
        if batch is None:
            return None
        items = batch_items(session, batch)
        statuses = [item["status"] for item in items]
        if any(s in UNFINISHED_ITEMS for s in statuses):
            return None
        body = {
            "event_type": BATCH_EVENT,
            "event_data": {
                "batch_id": batch.id,
                "kind": batch.kind,
                "status": aggregate_status(statuses),
                "total_items": batch.total_items,
                "counts_by_status": dict(Counter(statuses)),
                "items": [
                    {k: item[k] for k in ("item_index", "status", "video_id")} for item in items
                ],
            },
        }
        owner_id = batch.owner_id
        destinations = [(CALLBACK_DESTINATION, batch.callback_url)] if batch.callback_url else []
        destinations += [
            (endpoint.id, endpoint.url)
            for endpoint in endpoints_for_event(session, owner_id, BATCH_EVENT, batch_id, utcnow())
        ]
    event_id = record_event(
        context.db,
        owner_id=owner_id,
        entity_kind="batch",
        entity_id=batch_id,
        destinations=destinations,
        body=body,
        request_id=current_request_id(),
    )
    if event_id is not None:
        logger.info("webhook %s of batch %s recorded", event_id, batch_id)
    return event_id
