"""Putting work on the broker: the tasks of a batch, under task ids derived from the job ids,
so a DELETE can revoke them by id from any API machine."""

from __future__ import annotations

from polydub.config import Settings
from polydub.jobs.celery_app import make_celery

_apps: dict[tuple, object] = {}


def celery_for(settings: Settings):
    """One Celery app per broker and routing (building one per call would leak connections)."""
    key = (settings.broker_url, tuple(sorted(settings.task_queues.items())))
    app = _apps.get(key)
    if app is None:
        app = _apps[key] = make_celery(settings)
    return app


def source_task_id(batch_id: str) -> str:
    return f"source-{batch_id}"


def language_task_id(translation_id: str) -> str:
    return f"dub-{translation_id}"


def finish_task_id(translation_id: str) -> str:
    return f"finish-{translation_id}"


def lipsync_task_id(lipsync_id: str) -> str:
    return f"lipsync-{lipsync_id}"


def enqueue_batch(settings: Settings, batch_id: str, kind: str) -> None:
    app = celery_for(settings)
    if kind == "proofread":
        app.send_task("polydub.proofread", args=[batch_id], task_id=f"proofread-{batch_id}")
    elif kind == "lipsync":  # a Lip Sync job: its batch id is the job's id
        app.send_task("polydub.lipsync_job", args=[batch_id], task_id=lipsync_task_id(batch_id))
    else:
        app.send_task("polydub.source_side", args=[batch_id], task_id=source_task_id(batch_id))


def enqueue_languages(
    settings: Settings, batch_id: str, translation_ids: list[str], input_key: str
) -> None:
    app = celery_for(settings)
    for translation_id in translation_ids:
        app.send_task(
            "polydub.dub_language",
            args=[batch_id, translation_id, input_key],
            task_id=language_task_id(translation_id),
        )


def enqueue_finish(settings: Settings, batch_id: str, translation_id: str, input_key: str) -> None:
    """Hand a language whose speech is mixed to the workers of the "lipsync" kind."""
    celery_for(settings).send_task(
        "polydub.finish_language",
        args=[batch_id, translation_id, input_key],
        task_id=finish_task_id(translation_id),
    )


def job_task_ids(job_id: str) -> list[str]:
    """Every task id a translation or lip sync job may run under (unknown ids are harmless
    to revoke)."""
    return [language_task_id(job_id), finish_task_id(job_id), lipsync_task_id(job_id)]


def revoke_job(settings: Settings, job_id: str) -> None:
    """Drop the queued tasks of a translation or a lip sync job, whichever `job_id` names, on
    every worker (a running one stops at its next stage boundary: its row is gone)."""
    celery_for(settings).control.revoke(job_task_ids(job_id))
