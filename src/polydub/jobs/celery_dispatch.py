"""Putting work on the broker: steps as tasks, under task ids derived from the job ids, so a
DELETE can revoke them by id from any API machine."""

from __future__ import annotations

from polydub.config import Settings
from polydub.jobs.celery_app import make_celery
from polydub.jobs.steps import STEPS, StepCall, first_call
from polydub.request_ids import current_request_id

# The Celery message header carrying the request id from the API to the tasks it causes.
REQUEST_ID_TASK_HEADER = "polydub_request_id"

_apps: dict[tuple, object] = {}


def celery_for(settings: Settings):
    """One Celery app per broker and routing (building one per call would leak connections)."""
    key = (settings.broker_url, tuple(sorted(settings.task_queues.items())))
    app = _apps.get(key)
    if app is None:
        app = _apps[key] = make_celery(settings)
    return app


def enqueue(settings: Settings, call: StepCall) -> None:
    step = STEPS[call.step]
    request_id = current_request_id()  # the creating request's, or the task's that follows up
    celery_for(settings).send_task(
        step.task_name,
        args=list(call.args),
        task_id=step.task_id(call.args),
        headers={REQUEST_ID_TASK_HEADER: request_id} if request_id else None,
    )


def enqueue_batch(settings: Settings, batch_id: str, kind: str) -> None:
    enqueue(settings, first_call(kind, batch_id))


def job_task_ids(job_id: str) -> list[str]:
    """Every task id a translation or lip sync job may run under (unknown ids are harmless
    to revoke)."""
    return sorted({f"{step.task_id_prefix}-{job_id}" for step in STEPS.values()})


def revoke_job(settings: Settings, job_id: str) -> None:
    """Drop the queued tasks of a translation or a lip sync job, whichever `job_id` names, on
    every worker (a running one stops at its next cancel check: its row is gone)."""
    celery_for(settings).control.revoke(job_task_ids(job_id))
