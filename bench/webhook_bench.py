"""Webhook benchmark: how fast events are recorded and delivered, and how soon after a job
finishes its webhook leaves.

On a fresh database (SQLite under a temp dir, or --database-url), with a local receiver
answering 200 (after --receiver-delay-ms):

1. record: notify_translation for --events finished translations (events/s);
2. drain: one started dispatcher sends them all (events/s, --senders at once);
3. latency: one event at a time, recorded in this process (the dispatcher is woken) and by
   another "process" (its own engine, no wake-up: found by the 1 s poll); median and max of
   notify -> received.

    .venv/bin/python bench/webhook_bench.py [--events 500] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import tempfile
import threading
import time
from pathlib import Path

from polydub.config import Settings
from polydub.jobs.context import ServiceContext
from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch, Translation
from polydub.jobs.webhook_dispatcher import WebhookDispatcher
from polydub.jobs.webhook_store import record_event
from polydub.jobs.webhooks import notify_translation


class Counter:
    """A local receiver counting POSTs; `arrived` is set at each."""

    def __init__(self, delay_s: float) -> None:
        self.count = 0
        self.arrived = threading.Event()
        counter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                if delay_s:
                    time.sleep(delay_s)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                counter.count += 1
                counter.arrived.set()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def add_translations(context, owner_id: str, url: str, count: int) -> list[str]:
    with context.db.session() as session:
        batch = Batch(owner_id=owner_id, kind="translation", request={})
        session.add(batch)
        session.flush()
        rows = [
            Translation(
                owner_id=owner_id,
                batch_id=batch.id,
                output_language="Spanish",
                output_code="es",
                status="failed",
                failure_message="bench",
                callback_url=url,
            )
            for _ in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--receiver-delay-ms", type=float, default=0.0)
    parser.add_argument("--latency-samples", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="polydub-webhook-bench-"))
    settings = Settings(
        data_dir=data_dir,
        allow_private_urls=True,
        database_url=args.database_url,
        webhook_senders=args.senders,
    )
    context = ServiceContext.create(settings)
    other_process = ServiceContext.create(settings)
    receiver = Counter(args.receiver_delay_ms / 1000)
    with context.db.session() as session:
        owner_id = create_key(session, "bench")[0].id
    ids = add_translations(context, owner_id, receiver.url, args.events)

    started = time.perf_counter()
    for translation_id in ids:
        notify_translation(context, translation_id)
    record_s = time.perf_counter() - started
    print(f"record: {args.events} events in {record_s:.2f} s, {args.events / record_s:.0f}/s")

    dispatcher = WebhookDispatcher(context)
    started = time.perf_counter()
    dispatcher.start()
    while receiver.count < args.events:
        time.sleep(0.01)
    drain_s = time.perf_counter() - started
    print(
        f"drain: {args.events} events in {drain_s:.2f} s, {args.events / drain_s:.0f}/s "
        f"({args.senders} senders, receiver delay {args.receiver_delay_ms:.0f} ms)"
    )

    def record_elsewhere(translation_id: str) -> None:
        # What the job child process or a Celery worker does: a row in the shared database,
        # no wake-up reaching this process's dispatcher.
        body = {"event_type": "video_translate.fail", "event_data": {"id": translation_id}}
        record_event(
            other_process.db,
            owner_id=owner_id,
            entity_kind="translation",
            entity_id=translation_id,
            url=receiver.url,
            body=body,
        )

    def record_here(translation_id: str) -> None:
        notify_translation(context, translation_id)

    for label, record in (("same process", record_here), ("other process", record_elsewhere)):
        waits = []
        for translation_id in add_translations(context, owner_id, receiver.url, 10):
            receiver.arrived.clear()
            started = time.perf_counter()
            record(translation_id)
            receiver.arrived.wait(30)
            waits.append(time.perf_counter() - started)
            if len(waits) == args.latency_samples:
                break
        print(
            f"latency, recorded in the {label}: median {statistics.median(waits) * 1000:.0f} ms,"
            f" max {max(waits) * 1000:.0f} ms"
        )
    dispatcher.stop()


if __name__ == "__main__":
    main()
