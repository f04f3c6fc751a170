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


def enqueue_batch(settings: Settings, batch_id: str, kind: str) -> None:
    app = celery_for(settings)
    if kind == "proofread":
        app.send_task("polydub.proofread", args=[batch_id], task_id=f"proofread-{batch_id}")
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


def revoke_translation(settings: Settings, translation_id: str) -> None:
    """Drop a translation's queued task on every worker (a running one stops at its next
    stage boundary: the row is gone or flagged)."""
    celery_for(settings).control.revoke(language_task_id(translation_id))
