"""HeyGen's bulk status reads: GET /v3/video-translations/statuses and /v3/lipsyncs/statuses.

Up to 100 ids, comma-separated, in `video_translation_ids` (or `lipsync_ids`) and/or
`batch_ids`; a batch id expands to its items (with batch_id and item_index). An unknown id, or
another key's, answers status not_found. Entries page by `token` (HeyGen's `next_token`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.api.batch_reads import MAX_PAGE, decode_offset, encode_offset
from polydub.api.deps import CurrentKey, SessionDep
from polydub.api.errors import invalid
from polydub.api.schemas.fields import MAX_ID
from polydub.api.schemas.job_batches import StatusList
from polydub.jobs.job_batches import batch_items, job_status, jobs_by_id
from polydub.jobs.models import JobBatch

router = APIRouter(tags=["Batches"])

MAX_IDS = 100

Ids = Annotated[str | None, Query(description="Comma-separated ids")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Token = Annotated[str | None, Query(description="next_token of the previous page")]


@router.get("/v3/video-translations/statuses", response_model=StatusList)
def read_video_translation_statuses(
    key: CurrentKey,
    session: SessionDep,
    video_translation_ids: Ids = None,
    batch_ids: Ids = None,
    limit: Limit = MAX_PAGE,
    token: Token = None,
) -> dict:
    """Statuses of up to 100 translations and/or translation batches in one request."""
    return statuses(
        session,
        key.id,
        "translation",
        ("video_translation_ids", video_translation_ids),
        batch_ids,
        limit,
        token,
    )


@router.get("/v3/lipsyncs/statuses", response_model=StatusList)
def read_lipsync_statuses(
    key: CurrentKey,
    session: SessionDep,
    lipsync_ids: Ids = None,
    batch_ids: Ids = None,
    limit: Limit = MAX_PAGE,
    token: Token = None,
) -> dict:
    """Statuses of up to 100 lip syncs and/or lip-sync batches in one request."""
    return statuses(
        session, key.id, "lipsync", ("lipsync_ids", lipsync_ids), batch_ids, limit, token
    )


def statuses(
    session: Session,
    owner_id: str,
    kind: str,
    job_ids: tuple[str, str | None],
    batch_ids: str | None,
    limit: int,
    token: str | None,
) -> dict:
    id_param, raw_ids = job_ids
    ids = split_ids(raw_ids, id_param)
    batches = split_ids(batch_ids, "batch_ids")
    if not ids and not batches:
        raise invalid(f"give {id_param} or batch_ids", param=id_param)
    if len(ids) + len(batches) > MAX_IDS:
        raise invalid(f"at most {MAX_IDS} ids in one request", param=id_param)
    offset = decode_offset(token)
    entries = job_entries(session, kind, owner_id, ids) + batch_entries(
        session, kind, owner_id, batches
    )
    more = offset + limit < len(entries)
    return {
        "data": entries[offset : offset + limit],
        "has_more": more,
        "next_token": encode_offset(offset + limit) if more else None,
    }


def split_ids(raw: str | None, param: str) -> list[str]:
    """Comma-separated ids, in order, each once."""
    ids = list(dict.fromkeys(part.strip() for part in (raw or "").split(",") if part.strip()))
    if any(len(i) > MAX_ID for i in ids):
        raise invalid(f"an id in {param} is longer than {MAX_ID} characters", param=param)
    if any("\x00" in i for i in ids):  # PostgreSQL text cannot hold NUL: a 500, not a miss
        raise invalid(f"an id in {param} contains a NUL character", param=param)
    return ids


def job_entries(session: Session, kind: str, owner_id: str, ids: list[str]) -> list[dict]:
    jobs = jobs_by_id(session, kind, owner_id, ids)
    entries = []
    for job_id in ids:
        if job_id not in jobs:
            entries.append({"video_id": job_id, "status": "not_found", "error": None})
            continue
        status, error = job_status(jobs[job_id])
        entries.append({"video_id": job_id, "status": status, "error": error})
    return entries


def batch_entries(session: Session, kind: str, owner_id: str, batch_ids: list[str]) -> list[dict]:
    found = {
        batch.id: batch
        for batch in session.scalars(
            select(JobBatch).where(
                JobBatch.id.in_(batch_ids), JobBatch.owner_id == owner_id, JobBatch.kind == kind
            )
        )
    }
    entries = []
    for batch_id in batch_ids:
        if batch_id not in found:
            entries.append({"video_id": None, "status": "not_found", "batch_id": batch_id})
            continue
        for item in batch_items(session, found[batch_id]):
            entries.append(
                {
                    "video_id": item["video_id"],
                    "status": item["status"],
                    "error": item["error"],
                    "batch_id": batch_id,
                    "item_index": item["item_index"],
                }
            )
    return entries
