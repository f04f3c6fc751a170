"""What HeyGen's batch and bulk-status endpoints report about jobs: the item statuses
(queued | processing | completed | failed), their errors, and a batch's aggregate.

A job row says pending/running/completed/failed; a batch item without a job never became one
(its payload was refused) and carries the refusal as its error.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.api.errors import invalid
from polydub.api.pagination import unix
from polydub.jobs.models import JobBatch, JobBatchItem, Lipsync, Translation

ITEM_STATUS = {
    "pending": "queued",
    "running": "processing",
    "completed": "completed",
    "failed": "failed",
}
MAX_PAGE = 100


def job_model(kind: str) -> type[Translation] | type[Lipsync]:
    return Lipsync if kind == "lipsync" else Translation


def job_status(job) -> tuple[str, dict | None]:
    """A job row's item status and, when it failed, its error."""
    status = ITEM_STATUS[job.status]
    if status != "failed":
        return status, None
    return status, {"code": "job_failed", "message": job.failure_message or "the job failed"}


def jobs_by_id(session: Session, kind: str, owner_id: str, ids: Iterable[str]) -> dict:
    """The caller's jobs of `kind` among `ids`, by id (another key's are absent)."""
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    model = job_model(kind)
    rows = session.scalars(select(model).where(model.id.in_(ids), model.owner_id == owner_id))
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
    if any(s in ("queued", "processing") for s in statuses):
        return "processing"
    if statuses and all(s == "failed" for s in statuses):
        return "failed"
    return "completed"


def batch_view(session: Session, batch: JobBatch, limit: int, offset: int) -> dict:
    """HeyGen's batch resource with one page of its items (from `offset`)."""
    items = batch_items(session, batch)
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return {
        "batch_id": batch.id,
        "title": batch.title,
        "status": aggregate_status(item["status"] for item in items),
        "total_items": batch.total_items,
        "counts_by_status": dict(Counter(item["status"] for item in items)),
        "created_at": unix(batch.created_at),
        "callback_url": batch.callback_url,
        "items": page,
        "has_more": more,
        "next_token": encode_offset(offset + limit) if more else None,
    }


def encode_offset(offset: int) -> str:
    """An opaque page token for lists that page by position (batch items, bulk statuses)."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_offset(token: str | None, param: str = "token") -> int:
    """The position a token from encode_offset names (0 for none); 400 for anything else."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, number = raw.split(":", 1)
        offset = int(number)
        if prefix != "o" or offset < 0:
            raise ValueError(raw)
        return offset
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"{param} is not a token this API returned", param) from exc
