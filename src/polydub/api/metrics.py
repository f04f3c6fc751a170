"""Prometheus metrics of the service, served at `/metrics` in the text format.

Two kinds of numbers:
- counted here as they happen: HTTP requests by route template and status (the access-log
  middleware counts them);
- read from the database at scrape time, so they are right whichever process ran the job
  (this one, its job process, or Celery workers on other machines): jobs by kind and status,
  the queue's depth, webhook deliveries, and the seconds each pipeline stage took (from the
  reports of jobs that completed since this process started).

Each app has its own registry: tests build many apps in one process.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from polydub.jobs.models import Batch, Lipsync, Proofread, Translation, WebhookDelivery

logger = logging.getLogger(__name__)

JOB_TABLES = {"translation": Translation, "lipsync": Lipsync, "proofread": Proofread}
WEBHOOK_KINDS = ("translation", "lipsync")
# Stage times run from milliseconds (a cached stage) to an hour (lip-sync of a long video).
STAGE_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class ServiceMetrics:
    """The registry behind `/metrics` and the counters the middleware feeds."""

    def __init__(self, context) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "polydub_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "polydub_stage_seconds",
            "Seconds a pipeline stage took in jobs completed since this process started "
            "(stages restored from a checkpoint are not counted).",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=None,
        )
        # The database collector feeds the histogram as it is scraped: registered first, so
        # a scrape shows the stages it just read.
        self.registry.register(_DatabaseCollector(context, self))
        self.registry.register(self.stage_seconds)

    def count_request(self, route: str, method: str, status: int) -> None:
        self.http_requests.labels(route=route, method=method, status=str(status)).inc()


class _DatabaseCollector:
    """Reads the job tables at scrape time (a few indexed GROUP BYs)."""

    def __init__(self, context, metrics: ServiceMetrics) -> None:
        self.context, self.metrics = context, metrics
        self._stages = _StageTimes(datetime.now(UTC))

    def describe(self):
        return []  # no fixed description: collected only when scraped

    def collect(self):
        try:
            with self.context.db.session() as session:
                families = [
                    _jobs_by_status(session),
                    _queue_depth(session, self.context.settings),
                    *_webhook_deliveries(session),
                ]
                self._stages.observe_new(session, self.metrics.stage_seconds)
        except Exception:  # a scrape must answer even when the database does not
            logger.exception("metrics: could not read the job tables")
            families = [GaugeMetricFamily("polydub_database_up", "Job tables readable.", 0)]
        else:
            families.append(GaugeMetricFamily("polydub_database_up", "Job tables readable.", 1))
        yield from families


def _jobs_by_status(session) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "polydub_jobs", "Jobs in the database, by kind and status.", labels=["kind", "status"]
    )
    for kind, model in JOB_TABLES.items():
        rows = session.execute(select(model.status, func.count()).group_by(model.status))
        for status, count in rows:
            family.add_metric([kind, status], count)
    return family


def _queue_depth(session, settings) -> GaugeMetricFamily:
    """Work waiting to start: pending batches (local executors) or, with Celery, the tasks
    in each broker queue."""
    family = GaugeMetricFamily(
        "polydub_queue_depth", "Work waiting for a job process or worker.", labels=["queue"]
    )
    if settings.executor == "celery":
        for queue, depth in broker_queue_depths(settings).items():
            family.add_metric([queue], depth)
    else:
        pending = session.scalar(
            select(func.count()).select_from(Batch).where(Batch.status == "pending")
        )
        family.add_metric(["local"], pending or 0)
    return family


def broker_queue_depths(settings) -> dict[str, int]:
    """Tasks waiting in each Celery queue (Redis keeps a queue as a list of its name)."""
    import redis

    from polydub.jobs.celery_app import all_queues

    client = redis.Redis.from_url(settings.broker_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return {queue: int(client.llen(queue)) for queue in all_queues(settings)}
    finally:
        client.close()


def _webhook_deliveries(session) -> list:
    """Webhook events by job kind and delivery status, and delivery attempts (all, and those
    that got no 2xx answer), from the deliveries table."""
    events = GaugeMetricFamily(
        "polydub_webhook_events",
        "Webhook deliveries by job kind and status (pending, delivered, failed, cancelled).",
        labels=["kind", "status"],
    )
    attempts = CounterMetricFamily(
        "polydub_webhook_deliveries", "Webhook delivery attempts.", labels=["kind"]
    )
    failures = CounterMetricFamily(
        "polydub_webhook_delivery_failures",
        "Webhook delivery attempts that did not get a 2xx answer.",
        labels=["kind"],
    )
    tried: dict[str, int] = {}
    delivered: dict[str, int] = {}
    rows = session.execute(
        select(
            WebhookDelivery.entity_kind,
            WebhookDelivery.status,
            func.count(),
            func.coalesce(func.sum(WebhookDelivery.attempts), 0),
        ).group_by(WebhookDelivery.entity_kind, WebhookDelivery.status)
    )
    for kind, status, count, attempted in rows:
        events.add_metric([kind, status], count)
        tried[kind] = tried.get(kind, 0) + attempted
        if status == "delivered":  # each delivered event's last attempt got its 2xx
            delivered[kind] = delivered.get(kind, 0) + count
    for kind in WEBHOOK_KINDS:
        attempts.add_metric([kind], tried.get(kind, 0))
        failures.add_metric([kind], max(0, tried.get(kind, 0) - delivered.get(kind, 0)))
    return [events, attempts, failures]


class _StageTimes:
    """Feeds stage seconds from reports of translations completed after a moment, each once."""

    def __init__(self, since: datetime) -> None:
        self.since = since
        self.seen: set[str] = set()  # ids completed at exactly `since` (ties across scrapes)
        self._lock = threading.Lock()

    def observe_new(self, session, histogram: Histogram) -> None:
        with self._lock:
            rows = session.execute(
                select(Translation.id, Translation.completed_at, Translation.report)
                .where(Translation.status == "completed", Translation.completed_at >= self.since)
                .order_by(Translation.completed_at)
            ).all()
            for job_id, completed_at, report in rows:
                if job_id in self.seen:
                    continue
                for stage in (report or {}).get("stages", []):
                    if not stage.get("cached"):
                        histogram.labels(stage=stage["stage"]).observe(float(stage["seconds"]))
                completed_at = _aware(completed_at)
                if completed_at > self.since:
                    self.since, self.seen = completed_at, set()
                self.seen.add(job_id)


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
