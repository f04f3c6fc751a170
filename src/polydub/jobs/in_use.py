"""Which unfinished jobs still need an input: an asset must outlive the jobs that read it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.models import Batch, Lipsync, Proofread, Translation, VoiceClone


def jobs_using_asset(session: Session, owner_id: str, asset_id: str) -> list[str]:
    """Ids of the owner's pending or running translations, proofreads, lip syncs and voice
    clones whose
    spec reads `asset_id`."""
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
        *session.execute(
            select(VoiceClone.id, VoiceClone.id.label("batch_id")).where(
                VoiceClone.owner_id == owner_id, VoiceClone.status.in_(("pending", "running"))
            )
        ),
    ]
    assets = {
        batch.id: {
            ref.value
            for ref in stored_spec(batch.kind, batch.request).media().values()
            if ref.kind == "asset"
        }
        for batch in session.scalars(
            select(Batch).where(Batch.id.in_({batch_id for _, batch_id in unfinished}))
        )
    }
    return [job_id for job_id, batch_id in unfinished if asset_id in assets.get(batch_id, ())]
