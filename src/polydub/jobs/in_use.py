"""Which unfinished jobs still need an input: an asset must outlive the jobs that read it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.jobs.models import Batch, Lipsync, Proofread, Translation

INPUT_FIELDS = ("video", "audio", "srt")


def jobs_using_asset(session: Session, owner_id: str, asset_id: str) -> list[str]:
    """Ids of the owner's pending or running translations, proofreads and lip syncs whose
    request reads `asset_id`."""
    unfinished = [
        *session.execute(
            select(Translation.id, Translation.batch_id).where(
                Translation.owner_id == owner_id, Translation.status.in_(("pending", "running"))
            )
        ),
        *session.execute(
            select(Proofread.id, Proofread.batch_id).where(
                Proofread.owner_id == owner_id, Proofread.status == "processing"
            )
        ),
        *session.execute(
            select(Lipsync.id, Lipsync.id.label("batch_id")).where(
                Lipsync.owner_id == owner_id, Lipsync.status.in_(("pending", "running"))
            )
        ),
    ]
    requests = {
        batch.id: batch.request or {}
        for batch in session.scalars(
            select(Batch).where(Batch.id.in_({batch_id for _, batch_id in unfinished}))
        )
    }
    return [
        job_id
        for job_id, batch_id in unfinished
        if asset_id in referenced_assets(requests.get(batch_id, {}))
    ]


def referenced_assets(request: dict) -> set[str]:
    refs = (request.get(field) for field in INPUT_FIELDS)
    return {ref["asset_id"] for ref in refs if ref and ref.get("type") == "asset_id"}
