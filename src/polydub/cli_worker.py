"""`polydub worker`: a Celery worker running Polydub's pipeline tasks."""

from __future__ import annotations

import logging

from polydub.config import Settings


def run_worker(
    settings: Settings,
    *,
    queues: list[str] | None = None,
    concurrency: int = 1,
    hostname: str | None = None,
    log_level: str = "info",
) -> None:
    """Consume `queues` (what this machine can run; default: every configured one) until
    stopped.

    The queues a worker consumes are what it advertises: `celery inspect active_queues` lists
    them, and tasks routed (Settings.task_queues) to a queue only reach workers consuming it.
    The task kinds those queues receive are logged at start.
    """
    from polydub.config import check_secrets
    from polydub.jobs.celery_app import all_queues, kinds_for_queues, make_celery
    from polydub.logging_setup import configure_logging

    check_secrets(settings)
    configure_logging(log_level, settings.log_format)
    logger = logging.getLogger(__name__)
    queues = queues or all_queues(settings)
    kinds = kinds_for_queues(settings, queues)
    logger.info(
        "worker consumes queues %s: task kinds %s", ",".join(queues), ", ".join(kinds) or "none"
    )
    if not kinds:
        logger.warning("no task kind is routed to %s: this worker will receive nothing", queues)
    if not settings.storage_url:
        logger.warning(
            "POLYDUB_STORAGE_URL is unset: this worker reads and writes media in its own data "
            "directory, so it must share that directory with the API (one machine only)"
        )
    app = make_celery(settings)
    # Keep our handler (request ids, JSON) instead of Celery's own on the root logger.
    app.conf.worker_hijack_root_logger = False
    argv = [
        "worker",
        f"--queues={','.join(queues)}",
        f"--concurrency={max(1, concurrency)}",
        "--pool=prefork",  # a task in a child process: a killed child is requeued at once
        f"--loglevel={log_level.upper()}",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
