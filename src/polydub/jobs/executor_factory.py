"""Which executor `polydub serve` runs jobs with (settings.executor)."""

from __future__ import annotations

import gc
import threading


def open_executor(context):
    """A started executor of the configured kind, resuming unfinished jobs."""
    kind = context.settings.executor
    if kind == "inprocess":
        from polydub.jobs.executor import InProcessExecutor

        executor = InProcessExecutor(context)
    elif kind == "subprocess":
        from polydub.jobs.child_executor import ChildProcessExecutor
        from polydub.jobs.poisoned_jobs import fail_unfinished_jobs

        def fail_poisoned(batch_ids: list[str], message: str) -> None:
            for batch_id in batch_ids:
                fail_unfinished_jobs(context, batch_id, message)

        executor = ChildProcessExecutor(context.settings, on_poisoned=fail_poisoned)
        _warm_request_checks(context)
    elif kind == "celery":  # only enqueues: `polydub worker` processes run the jobs
        from polydub.jobs.celery_executor import CeleryExecutor

        executor = CeleryExecutor(context)
        _warm_request_checks(context)
    else:
        raise ValueError(f"unknown POLYDUB_EXECUTOR {kind!r}: use subprocess, inprocess or celery")
    executor.start()
    return executor


def _warm_request_checks(context) -> None:
    """Load the voices in the API process now, not in the first create request: its
    language and voice checks need the engines' catalogs (the jobs load their own)."""
    threading.Thread(target=_warm_up, args=(context,), name="polydub-warm-up", daemon=True).start()


def _warm_up(context) -> None:
    _ = context.engines.synthesizers  # loading them is the point
    # Exempt everything loaded so far from garbage collection: a full collection over the
    # models' modules stopped the event loop for 150-185 ms, straight into polling's p99.
    gc.collect()
    gc.freeze()
