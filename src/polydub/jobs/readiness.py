"""Is this service able to take and run jobs? One check per dependency, each answering None
(fine) or a short reason, for `/readyz` and `polydub config --check`.

Checks are cheap (one round trip each) and bounded by short timeouts: a load balancer calls
them every few seconds, and a hung dependency must make the answer "not ready", not hang it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from sqlalchemy import text

from polydub.config import Settings
from polydub.jobs.db import Database
from polydub.storage import open_blob_store

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0


def check_database(context) -> str | None:
    """One `SELECT 1` on a pooled connection (a dead pooled connection is replaced first)."""
    try:
        with context.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means the same thing here: not reachable
        return _reason(exc)
    return None


def check_storage(context) -> str | None:
    """The blob store answers: a writable local directory, or the bucket's HEAD."""
    blobs = context.blobs
    try:
        root = getattr(blobs, "root", None)
        if root is not None:
            if not root.is_dir() or not os.access(root, os.W_OK):
                return f"{root} is not a writable directory"
            return None
        blobs.client.head_bucket(Bucket=blobs.location.bucket)
    except Exception as exc:
        return _reason(exc)
    return None


def check_queue(context) -> str | None:
    """With Celery, the broker answers PING; the local executors need no broker."""
    if context.settings.executor != "celery":
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            context.settings.broker_url,
            socket_timeout=CHECK_TIMEOUT_S,
            socket_connect_timeout=CHECK_TIMEOUT_S,
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return _reason(exc)
    return None


def check_job_process(context) -> str | None:
    """The executor that runs (or, with Celery, enqueues) jobs is started and, for the
    subprocess executor, its job process is alive."""
    executor = context.executor
    if executor is None:
        return "no job executor started"
    if getattr(executor, "stopping", False):
        return "job executor stopping"
    alive = getattr(executor, "alive", None)
    if alive is not None and not alive:
        return "job process not running"
    return None


CHECKS = {
    "database": check_database,
    "storage": check_storage,
    "queue": check_queue,
    "job_process": check_job_process,
}


def readiness(context, names: tuple[str, ...] = tuple(CHECKS)) -> dict[str, str | None]:
    """Each named check's answer: None when fine, else why not."""
    results = {name: CHECKS[name](context) for name in names}
    for name, reason in results.items():
        if reason is not None:
            logger.warning("not ready: %s: %s", name, reason)
    return results


def _reason(exc: BaseException) -> str:
    # The first line only: driver errors carry multi-line context and sometimes the URL.
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:300]


@dataclass
class DependencyContext:
    """What the dependency checks read, without migrating the database or starting jobs:
    for a worker's health check (`polydub ready`)."""

    settings: Settings
    db: Database
    blobs: object
    executor: object | None = None

    @classmethod
    def open(cls, settings: Settings) -> DependencyContext:
        return cls(settings, Database(settings.resolved_database_url), open_blob_store(settings))
