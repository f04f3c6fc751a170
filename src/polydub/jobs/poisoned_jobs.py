"""Jobs that keep killing the job process (out of memory, a crashing native library): after a
few deaths while they ran, they fail with a message instead of taking the process down again.

Without this, a supervisor that restarts the job process would resume the same job into the
same crash forever, and every job queued behind it would wait.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from polydub.jobs.lifecycle import LIPSYNCS, TRANSLATIONS, UNFINISHED, VOICE_CLONES, fail
from polydub.jobs.models import Batch, Proofread, Translation

logger = logging.getLogger(__name__)

MAX_DEATHS = 3


class DeathCounter:
    """How often the job process died while each batch was running."""

    def __init__(self, limit: int = MAX_DEATHS) -> None:
        self.limit = limit
        self._deaths: dict[str, int] = {}

    def record(self, running: set[str]) -> list[str]:
        """Count one death against each batch in `running`; the batches now at the limit."""
        poisoned = []
        for batch_id in sorted(running):
            self._deaths[batch_id] = self._deaths.get(batch_id, 0) + 1
            if self._deaths[batch_id] >= self.limit:
                poisoned.append(batch_id)
                del self._deaths[batch_id]
        return poisoned

    def forget(self, batch_id: str) -> None:
        """The batch finished (or failed) normally: earlier deaths were not its fault."""
        self._deaths.pop(batch_id, None)


def death_message(deaths: int) -> str:
    return (
        f"the job process died {deaths} times while running this job (out of memory, or a "
        "crash in a native library); it was stopped so that other jobs can run"
    )


def fail_unfinished_jobs(context, batch_id: str, message: str) -> None:
    """Fail every unfinished translation, lip sync and proofread of a batch, and notify."""
    with context.db.session() as session:
        translations = session.scalars(
            select(Translation.id).where(
                Translation.batch_id == batch_id, Translation.status.in_(UNFINISHED)
            )
        ).all()
        session.execute(
            update(Proofread)
            .where(Proofread.batch_id == batch_id, Proofread.status == "processing")
            .values(status="failed", failure_message=message)
        )
    for translation_id in translations:
        fail(context, TRANSLATIONS, translation_id, message)
    fail(context, LIPSYNCS, batch_id, message)  # a lip sync's batch has its id
    fail(context, VOICE_CLONES, batch_id, message)  # so has a voice clone's
    with context.db.session() as session:
        session.execute(update(Batch).where(Batch.id == batch_id).values(status="failed"))
    logger.error("batch %s failed: %s", batch_id, message)
