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
from polydub.jobs.steps import STEPS

DEFAULT_QUEUE = "polydub"
# Task kinds and the task names they cover (from the step table); Settings.task_queues maps a
# kind to a queue, so a queue only some machines consume (say "gpu") receives the kinds routed
# to it. source: ingest .. diarize, once per video; target: MT, TTS, fit, mix, once per
# language (audio-only output also renders there); lipsync: lipsync, render, report of a
# language, and the Lip Sync jobs; proofread: a proofread's scripts.
TASK_KINDS: dict[str, tuple[str, ...]] = {
    kind: tuple(step.task_name for step in STEPS.values() if step.queue_kind == kind)
    for kind in dict.fromkeys(step.queue_kind for step in STEPS.values())
}


def check_task_queues(task_queues: dict[str, str]) -> None:
    """Refuse a routing that names an unknown kind (it would silently route nothing).

    Raises:
        ValueError: the first unknown kind, with the known ones.
    """
    for kind in task_queues:
        if kind not in TASK_KINDS:
            raise ValueError(
                f"POLYDUB_TASK_QUEUES names an unknown task kind {kind!r}; "
                f"known kinds: {', '.join(TASK_KINDS)}"
            )


def queue_for(settings: Settings, kind: str) -> str:
    return settings.task_queues.get(kind, DEFAULT_QUEUE)


def all_queues(settings: Settings) -> list[str]:
    return sorted({DEFAULT_QUEUE, *settings.task_queues.values()})


def kinds_for_queues(settings: Settings, queues: list[str]) -> list[str]:
    """The task kinds a worker consuming `queues` receives."""
    return [kind for kind in TASK_KINDS if queue_for(settings, kind) in queues]


def task_routes(settings: Settings) -> dict[str, dict]:
    return {
        name: {"queue": queue_for(settings, kind)}
        for kind, names in TASK_KINDS.items()
        for name in names
    }


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
    check_task_queues(settings.task_queues)
    app = Celery("polydub", broker=settings.broker_url, include=["polydub.jobs.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=DEFAULT_QUEUE,
        task_queues=[Queue(name) for name in all_queues(settings)],
        task_routes=task_routes(settings),
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
