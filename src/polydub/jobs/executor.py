"""The in-process job executor of `polydub serve`: a few worker threads running batches, each
through every step of its kind (jobs/steps.py) in this process.

Jobs persist in the database, not in this queue: on start every batch with unfinished
translations, lip syncs, proofreads or voice clones is queued again, and the pipeline resumes
it from its checkpoints.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from sqlalchemy import select

from polydub.jobs.models import Lipsync, Proofread, Translation, VoiceClone
from polydub.jobs.steps import run_batch_here
from polydub.storage.cache import prune_workspaces

logger = logging.getLogger(__name__)


class InProcessExecutor:
    """A bounded pool (settings.job_workers threads) pulling batch ids from a queue."""

    def __init__(self, context, on_batch: Callable[[str, str], None] | None = None) -> None:
        self.context = context
        self._on_batch = on_batch  # ("started" | "finished", batch id), for a supervisor
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._queued: set[str] = set()  # queued or running: a batch is never run twice at once
        self._cancelled: set[str] = set()  # translation ids
        self._running = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def start(self) -> None:
        """Start the workers and queue every batch left unfinished by a previous process."""
        self._stopping.clear()
        for index in range(max(1, self.context.settings.job_workers)):
            thread = threading.Thread(target=self._work, name=f"polydub-job-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        # Load the voices now, not in the first create request (their catalog checks need them).
        threading.Thread(
            target=lambda: self.context.engines.synthesizers,
            name="polydub-warm-up",
            daemon=True,
        ).start()
        for batch_id in self.unfinished_batches():
            logger.info("resuming batch %s", batch_id)
            self.submit(batch_id)

    def unfinished_batches(self) -> list[str]:
        with self.context.db.session() as session:
            translation_batches = session.scalars(
                select(Translation.batch_id)
                .where(Translation.status.in_(("pending", "running")))
                .order_by(Translation.created_at)
            ).all()
            proofread_batches = session.scalars(
                select(Proofread.batch_id)
                .where(Proofread.status == "processing")
                .order_by(Proofread.created_at)
            ).all()
            lipsync_batches = session.scalars(
                select(Lipsync.id)
                .where(Lipsync.status.in_(("pending", "running")))
                .order_by(Lipsync.created_at)
            ).all()
            clone_batches = session.scalars(
                select(VoiceClone.id)
                .where(VoiceClone.status.in_(("pending", "running")))
                .order_by(VoiceClone.created_at)
            ).all()
        found = [*translation_batches, *proofread_batches, *lipsync_batches, *clone_batches]
        return list(dict.fromkeys(found))

    def stop(self, timeout: float = 30.0) -> None:
        """Ask running jobs to stop (stages check for it inside, so within about a second; the
        jobs stay unfinished and resume on the next start) and wait for the workers."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def submit(self, batch_id: str) -> None:
        with self._lock:
            if batch_id in self._queued:
                return
            self._queued.add(batch_id)
        self._queue.put(batch_id)

    def cancel(self, translation_id: str) -> None:
        """Stop a translation (or a lip sync, by its id) inside its running stage."""
        with self._lock:
            self._cancelled.add(translation_id)

    def is_cancelled(self, translation_id: str) -> bool:
        return self._stopping.is_set() or translation_id in self._cancelled

    def _work(self) -> None:
        while True:
            batch_id = self._queue.get()
            if batch_id is None or self._stopping.is_set():
                return
            with self._lock:
                self._running += 1
            self._tell("started", batch_id)
            try:
                self.run_batch(batch_id)
            except Exception:  # a runner records failures on its rows; this is a last resort
                logger.exception("batch %s crashed", batch_id)
            finally:
                self._tell("finished", batch_id)
                with self._lock:
                    self._queued.discard(batch_id)
                    self._running -= 1
                    idle = self._running == 0
            if idle:
                self._trim_work_dir()

    def _tell(self, event: str, batch_id: str) -> None:
        if self._on_batch is not None:
            self._on_batch(event, batch_id)

    def _trim_work_dir(self) -> None:
        """Keep the checkpoints under settings.work_cache_bytes, least recently used out first,
        once no batch is running (this process's jobs hold no workspace leases)."""
        settings = self.context.settings
        try:
            freed = prune_workspaces(settings.work_dir, settings.work_cache_bytes)
        except OSError:
            logger.exception("could not trim %s", settings.work_dir)
            return
        if freed:
            logger.info("work dir trimmed by %.1f MB", freed / 1e6)

    def run_batch(self, batch_id: str) -> None:
        logger.info("batch %s starting", batch_id)
        run_batch_here(self.context, batch_id, self._stopping.is_set)
        logger.info("batch %s finished", batch_id)
