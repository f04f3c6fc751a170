"""The Celery application of `polydub worker` and of `polydub serve` with POLYDUB_EXECUTOR=celery.

Delivery is at-least-once: a task is acknowledged only after it finished (acks_late), a task
whose worker process died is handed back to the broker (reject_on_worker_lost), and a worker
takes one task at a time, so a killed worker strands at most the one it was running. Stages
are idempotent (checkpointed by content), so running a task again is safe.
"""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from polydub.config import Settings

DEFAULT_QUEUE = "polydub"
# Task kinds and the task names they cover; Settings.task_queues maps a kind to a queue.
TASK_KINDS = {
    "source": "polydub.source_side",  # ingest, separation, ASR, diarization: once per video
    "target": "polydub.dub_language",  # MT, TTS, fit, mix, render: once per language
    "proofread": "polydub.proofread",
}


def queue_for(settings: Settings, kind: str) -> str:
    return settings.task_queues.get(kind, DEFAULT_QUEUE)


def all_queues(settings: Settings) -> list[str]:
    return sorted({DEFAULT_QUEUE, *settings.task_queues.values()})


def transport_options(settings: Settings) -> dict:
    timeout = settings.broker_visibility_timeout_s
    return {
        "visibility_timeout": timeout,
        # Look for tasks of dead workers every timeout/6 seconds (at most 10), not every
        # 100 s (kombu's default sweep), so a short timeout also means a quick takeover.
        "unacked_restore_interval": min(10, max(1, timeout // 6)),
        "unacked_restore_throttle": 1,
    }


def make_celery(settings: Settings) -> Celery:
    app = Celery("polydub", broker=settings.broker_url, include=["polydub.jobs.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=DEFAULT_QUEUE,
        task_queues=[Queue(name) for name in all_queues(settings)],
        task_routes={
            name: {"queue": queue_for(settings, kind)} for kind, name in TASK_KINDS.items()
        },
        task_ignore_result=True,  # outcomes live on the job rows, not in a result backend
        task_serializer="json",
        accept_content=["json"],
        broker_transport_options=transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # ride out a broker restart, however long
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
    )
    return app
