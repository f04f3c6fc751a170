"""Scale-out benchmark: throughput of N short jobs with 1 Celery worker vs 2, on this machine.

Starts the same deployment as tests/scale (moto's S3-compatible server, a private
redis-server, a fresh PostgreSQL database, `polydub serve` with POLYDUB_EXECUTOR=celery and
`polydub worker` processes with their own data directories), then for each worker count:
warms every worker up with one job (model loading is not throughput), submits N jobs over
HTTP at once and times submission to the last completion. Every job dubs a different
generated clip (lengths differ by 0.1 s), so no job reuses another's checkpoints. The cores
are split between the workers (ASR threads and TTS workers = cores / workers).

Prints jobs/minute per worker count and the ratio. Not a test: nothing is asserted.

    .venv/bin/python bench/scale_bench.py [--jobs 6] [--seconds 5] [--language Spanish]
"""

from __future__ import annotations

import argparse
import http.server
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "scale"))  # the deployment helpers the tests use

from cluster import Cluster, create_translation, poll  # noqa: E402
from scale_services import S3_KEY_ENV, RedisServer, S3Server  # noqa: E402

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def serve_clips(folder: Path, count: int, seconds: float) -> tuple[list[str], object]:
    from polydub.samples import make_talking_clip

    for index in range(count):
        make_talking_clip(folder / f"clip{index}.mp4", seconds + 0.1 * index)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    return [f"{base}/clip{i}.mp4" for i in range(count)], server


def run_jobs(client: httpx.Client, urls: list[str], language: str) -> float:
    """Submit every job at once; seconds until the last one completed."""
    started = time.monotonic()
    ids = [create_translation(client, url, [language])[0] for url in urls]
    for translation_id in ids:
        poll(client, translation_id, lambda d: d["status"] == "completed", timeout=3600)
    return time.monotonic() - started


def measure(workers: int, urls: list[str], args, services, root: Path) -> float:
    import psycopg

    s3, redis = services
    database = f"polydub_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    bucket = f"bench-{uuid.uuid4().hex[:10]}"
    import boto3

    boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEY_ENV["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=bucket)
    share = str(max(1, (os.cpu_count() or 1) // workers))
    deployment = Cluster(
        root / f"workers{workers}",
        database_url=f"postgresql://postgres@127.0.0.1:5432/{database}",
        broker_url=redis.url.replace("/0", f"/{workers}"),
        s3_endpoint=s3.endpoint,
        bucket=bucket,
        extra_env={"POLYDUB_ASR_THREADS": share, "POLYDUB_TTS_WORKERS": share},
    )
    try:
        for index in range(workers):
            deployment.start_worker(f"w{index + 1}")
        deployment.start_api()
        key = deployment.create_key()
        with httpx.Client(base_url=deployment.base, headers={"x-api-key": key}, timeout=60) as c:
            warm = run_jobs(c, urls[:workers], args.language)
            print(f"{workers} worker(s): warm-up ({workers} job(s)) took {warm:.1f}s", flush=True)
            seconds = run_jobs(c, urls[workers:], args.language)
    finally:
        deployment.stop()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    per_minute = args.jobs / seconds * 60
    print(f"{workers} worker(s): {args.jobs} jobs in {seconds:.1f}s = {per_minute:.2f} jobs/minute")
    return per_minute


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=6, help="timed jobs per worker count")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each clip")
    parser.add_argument("--language", default="Spanish")
    args = parser.parse_args()
    for name, value in S3_KEY_ENV.items():
        os.environ.setdefault(name, value)
    with tempfile.TemporaryDirectory(prefix="polydub-scale-bench-") as tmp:
        root = Path(tmp)
        (root / "clips").mkdir()
        # Per worker count: its warm-up clips, then its timed clips, all distinct.
        counts = {1: 1 + args.jobs, 2: 2 + args.jobs}
        urls, server = serve_clips(root / "clips", sum(counts.values()), args.seconds)
        s3, redis = S3Server(root), RedisServer(root / "redis")
        try:
            one = measure(1, urls[: counts[1]], args, (s3, redis), root)
            two = measure(2, urls[counts[1] :], args, (s3, redis), root)
        finally:
            s3.stop()
            redis.stop()
            server.shutdown()
    print(f"throughput ratio, 2 workers / 1 worker: {two / one:.2f}x on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
