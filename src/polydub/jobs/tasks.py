"""Celery tasks: each step of jobs/steps.py's table as a task of its own name, which runs the
step and enqueues the steps it returns.

A batch's source side runs once, then each language in parallel on any worker: its target
step (translate .. mix), then its finish step (lipsync, render, report), a task kind of its
own so lip-sync can be routed to GPU workers. A task run twice (redelivered after a worker
died) resumes from the checkpoints its first run pushed; a job already finished is left alone.
"""

from __future__ import annotations

import threading

from celery import shared_task

from polydub.jobs.celery_dispatch import REQUEST_ID_TASK_HEADER, enqueue
from polydub.jobs.steps import STEPS, Step, StepCall, run_step
from polydub.request_ids import request_id_set

_context = None
_context_lock = threading.Lock()


def worker_context():
    """This worker process's ServiceContext (database, blob store, engines), built on first use
    in the process that runs tasks, never before the pool forks."""
    global _context
    with _context_lock:
        if _context is None:
            from polydub.config import load_settings
            from polydub.jobs.context import ServiceContext

            _context = ServiceContext.create(load_settings())
        return _context


def _not_stopping() -> bool:
    # A worker's warm shutdown lets the running task finish; a cold one is a redelivery.
    return False


def _task_for(name: str, step: Step):
    def run(task, *args: str) -> None:
        context = worker_context()
        with request_id_set(_request_id(task.request)):  # log lines, webhooks, follow-ups
            for follow_up in run_step(context, StepCall(name, tuple(args)), _not_stopping):
                enqueue(context.settings, follow_up)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = step.run.__doc__
    return shared_task(name=step.task_name, bind=True, acks_late=True, reject_on_worker_lost=True)(
        run
    )


def _request_id(request) -> str | None:
    # Custom message headers appear on the task's request; some Celery versions nest them.
    found = request.get(REQUEST_ID_TASK_HEADER)
    return found or (getattr(request, "headers", None) or {}).get(REQUEST_ID_TASK_HEADER)


TASKS = {name: _task_for(name, step) for name, step in STEPS.items()}
__all__ = ["TASKS", "worker_context"]
