"""The executor of `polydub serve` with POLYDUB_EXECUTOR=celery: it only enqueues.

Workers (`polydub worker`) run the tasks; jobs live in the shared database and their media in
the shared blob store, so any number of API machines and workers can serve the same jobs.
"""

from __future__ import annotations

import logging

from polydub.jobs.celery_dispatch import enqueue_batch, revoke_job
from polydub.jobs.models import Batch

logger = logging.getLogger(__name__)


class CeleryExecutor:
    def __init__(self, context) -> None:
        self.context = context

    def start(self) -> None:
        """No job to resume here: queued work waits in the broker, and a task whose worker
        died is handed to another worker by the broker. (Webhooks a crash left unsent are
        recorded by the webhook dispatcher when it starts.)"""

    def stop(self, timeout: float = 30.0) -> None:
        pass

    @property
    def stopping(self) -> bool:
        return False

    def submit(self, batch_id: str) -> None:
        with self.context.db.session() as session:
            batch = session.get(Batch, batch_id)
            kind = batch.kind if batch is not None else None
        if kind is None:
            return
        enqueue_batch(self.context.settings, batch_id, kind)
        logger.info("batch %s (%s) enqueued", batch_id, kind)

    def cancel(self, job_id: str) -> None:
        """Revoke the queued tasks of a translation (its language and finishing tasks) or of a
        lip sync job; a running one sees the deleted row at its next stage."""
        try:
            revoke_job(self.context.settings, job_id)
        except Exception:  # the row's deletion alone still stops it
            logger.exception("could not revoke the tasks of job %s", job_id)

    def is_cancelled(self, translation_id: str) -> bool:
        return False  # the database is the shared truth (run_translation.cancelled reads it)
