"""What the operations endpoints cost: a /metrics scrape against job tables of growing size,
and the access-log middleware's time per request (against the same app without it).

    .venv/bin/python bench/ops_bench.py [--rows 1000 10000] [--requests 20000]

Writes nothing; prints a table (copied into bench/reports/ops_bench.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from polydub.api.app import create_app
from polydub.api.request_log import RequestLogMiddleware
from polydub.config import Settings
from polydub.jobs.keys import create_key
from polydub.jobs.models import Batch, Translation, utcnow

REPORT = {"stages": [{"stage": s, "seconds": 1.0, "cached": False} for s in ("asr", "mix")]}


def fill(app, rows: int) -> None:
    with app.state.context.db.session() as session:
        key, _ = create_key(session, "bench")
        batch = Batch(owner_id=key.id, kind="translation", request={})
        session.add(batch)
        session.flush()
        statuses = ("pending", "running", "completed", "failed")
        session.add_all(
            Translation(
                owner_id=key.id,
                batch_id=batch.id,
                output_language="Spanish",
                output_code="es",
                status=statuses[i % 4],
                report=REPORT if i % 4 == 2 else None,
                completed_at=utcnow() if i % 4 == 2 else None,
                webhook_attempts=i % 3,
            )
            for i in range(rows)
        )


def scrape_ms(rows: int, scrapes: int = 20) -> tuple[float, float]:
    """(first scrape, median of the next ones) in ms; the first reads every new report."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp)), start_executor=False)
        with TestClient(app) as client:
            fill(app, rows)  # after the app started: these count as completed since start
            started = time.perf_counter()
            client.get("/metrics")
            first = (time.perf_counter() - started) * 1000
            times = []
            for _ in range(scrapes):
                started = time.perf_counter()
                client.get("/metrics")
                times.append((time.perf_counter() - started) * 1000)
    return first, statistics.median(times)


async def _plain_app(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _run(app, requests: int) -> float:
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "client": ("c", 1)}

    async def receive():
        return {"type": "http.request"}

    async def send(message):
        pass

    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / requests * 1e6


def middleware_us(requests: int) -> tuple[float, float]:
    """(microseconds per request without, with) the access-log middleware, logging at INFO
    to a discarding handler (formatting included)."""
    logging.getLogger().handlers[:] = [logging.NullHandler()]
    logging.getLogger().setLevel(logging.INFO)
    bare = asyncio.run(_run(_plain_app, requests))
    logged = asyncio.run(_run(RequestLogMiddleware(_plain_app), requests))
    return bare, logged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    print("| job rows | first scrape (ms) | later scrapes, median (ms) |")
    print("| --- | --- | --- |")
    for rows in args.rows:
        first, later = scrape_ms(rows)
        print(f"| {rows} | {first:.1f} | {later:.1f} |")
    bare, logged = middleware_us(args.requests)
    print(
        f"\naccess-log middleware: {bare:.1f} us/request bare, {logged:.1f} us with it "
        f"(+{logged - bare:.1f} us)"
    )


if __name__ == "__main__":
    main()
