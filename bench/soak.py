"""Soak test: `polydub serve` under a steady stream of short jobs while its processes die.

For `--minutes` (default 30) it keeps `--in-flight` jobs submitted over HTTP (short generated
clips, music kept or not: identical and differing requests on the same videos at once), and
at random moments (on average every `--chaos-every-s`) SIGKILLs either the job process (the
server must replace it) or the whole server (it is started again on the same data). Then it
stops the chaos, lets every job finish (`--drain-minutes`) and prints:

  submitted, completed, failed, lost (never finished: must be 0), duplicated outputs (a job
  completed twice, or two jobs given one output: must be 0), mismatched outputs (a job's
  video or captions differ from another job's with the same request: must be 0), and the
  webhooks: success deliveries missing or repeated per job.

Once a request has been dubbed, an identical one completes from its checkpoints in a fraction
of a second, so most jobs counted are repeats; the kills land on whatever is running.
Not a test (it runs for minutes); tests/chaos checks each kind of death once. Figures:
bench/reports/soak.md.

    .venv/bin/python bench/soak.py [--minutes 30] [--job-workers 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "chaos"))  # the process helpers the chaos tests use
sys.path.insert(0, str(ROOT / "tests"))

from chaos_service import Server, output_digests  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

CLIP_SECONDS = (4.0, 4.5, 5.0)  # the shortest with a whole spoken line


@dataclass
class Job:
    variant: tuple[str, bool]  # (clip url, disable_music_track)
    status: str = "pending"
    completions: int = 0  # times it was seen turning completed (more than 1: duplicated)
    video_url_path: str = ""
    digests: dict = field(default_factory=dict)
    failure: str = ""


def serve_clips(folder: Path) -> tuple[list[str], http.server.ThreadingHTTPServer]:
    from polydub.samples import make_talking_clip

    for seconds in CLIP_SECONDS:
        make_talking_clip(folder / f"talk{seconds}.mp4", seconds, width=640, height=360)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    return [f"{base}/talk{seconds}.mp4" for seconds in CLIP_SECONDS], server


class Soak:
    def __init__(self, args, work: Path) -> None:
        self.args = args
        self.random = random.Random(args.seed)
        # No rate limit: collecting hundreds of outputs at the end must not be throttled.
        self.server = Server(
            work / "data",
            POLYDUB_JOB_WORKERS=str(args.job_workers),
            POLYDUB_RATE_LIMIT_PER_MINUTE="0",
        )
        self.hooks = Receiver()
        self.clips, self.clip_server = serve_clips(work / "clips")
        self.jobs: dict[str, Job] = {}
        self.kills = Counter()
        self.submit_errors = 0

    def run(self) -> None:
        self.server.start()
        self.key = self.server.create_key("soak")
        started = time.monotonic()
        deadline = started + self.args.minutes * 60
        next_chaos = started + self.random.expovariate(1 / self.args.chaos_every_s)
        while time.monotonic() < deadline:
            self.top_up()
            self.poll()
            if time.monotonic() >= next_chaos:
                self.chaos()
                self.log_state(started)
                next_chaos = time.monotonic() + self.random.expovariate(1 / self.args.chaos_every_s)
            time.sleep(1.0)
        drain_until = time.monotonic() + self.args.drain_minutes * 60
        while time.monotonic() < drain_until and self.unfinished():
            self.poll()
            time.sleep(2.0)
        time.sleep(5.0)  # the last webhooks
        self.elapsed = time.monotonic() - started
        self.collect_outputs()
        self.server.kill(signal.SIGTERM)

    def log_state(self, started: float) -> None:
        states = Counter(job.status for job in self.jobs.values())
        minutes = (time.monotonic() - started) / 60
        print(f"{minutes:5.1f} min  kills {dict(self.kills)}  jobs {dict(states)}", flush=True)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.base, headers={"x-api-key": self.key}, timeout=30)

    def unfinished(self) -> list[str]:
        return [i for i, job in self.jobs.items() if job.status not in ("completed", "failed")]

    def top_up(self) -> None:
        while len(self.unfinished()) < self.args.in_flight:
            variant = (self.random.choice(self.clips), self.random.random() < 0.5)
            try:
                with self.client() as c:
                    created = c.post(
                        "/v3/video-translations",
                        json={
                            "video": {"type": "url", "url": variant[0]},
                            "output_languages": ["Spanish"],
                            "mode": "speed",
                            "disable_music_track": variant[1],
                            "callback_url": self.hooks.url,
                        },
                    )
            except httpx.TransportError:
                self.submit_errors += 1  # the server is down: a client retries later
                return
            if created.status_code != 200:
                self.submit_errors += 1
                return
            for translation_id in created.json()["data"]["video_translation_ids"]:
                if translation_id in self.jobs:  # an id handed out twice
                    self.jobs[translation_id].completions += 1
                self.jobs[translation_id] = Job(variant)

    def poll(self) -> None:
        try:
            with self.client() as c:
                for translation_id in self.unfinished() + self.completed_ids():
                    data = c.get(f"/v3/video-translations/{translation_id}").json()["data"]
                    self.observe(self.jobs[translation_id], data)
        except (httpx.TransportError, KeyError, ValueError):
            pass  # down while being restarted

    def completed_ids(self) -> list[str]:
        # Completed jobs are re-checked now and then: one must never go back to running.
        done = [i for i, job in self.jobs.items() if job.status == "completed"]
        return self.random.sample(done, min(3, len(done)))

    def observe(self, job: Job, data: dict) -> None:
        if data["status"] == "completed" and job.status != "completed":
            job.completions += 1
            job.video_url_path = data["video_url"].split("?")[0]
        job.status = data["status"]
        job.failure = data.get("failure_message") or ""

    def chaos(self) -> None:
        if self.random.random() < 0.5:
            victim = self.server.job_process()
            if victim is not None:
                os.kill(victim, signal.SIGKILL)
                self.kills["job process"] += 1
                return
        self.server.kill(signal.SIGKILL)
        self.kills["server"] += 1
        time.sleep(self.random.uniform(0, 5))  # down for a moment, as after a crash
        self.server.start()

    def collect_outputs(self) -> None:
        with self.client() as c:
            for translation_id, job in self.jobs.items():
                if job.status == "completed":
                    data = c.get(f"/v3/video-translations/{translation_id}").json()["data"]
                    job.digests = output_digests(c, data)

    def report(self) -> dict:
        completed = {i: j for i, j in self.jobs.items() if j.status == "completed"}
        failed = {i: j for i, j in self.jobs.items() if j.status == "failed"}
        by_variant: dict = {}
        for job in completed.values():
            by_variant.setdefault(job.variant, set()).add(json.dumps(job.digests, sort_keys=True))
        output_paths = Counter(job.video_url_path for job in completed.values())
        successes = Counter()
        for _, body in self.hooks.requests:
            event = json.loads(body)
            if event["event_type"] == "video_translate.success":
                successes[event["event_data"]["video_translation_id"]] += 1
        return {
            "minutes": round(self.elapsed / 60, 1),
            "job_workers": self.args.job_workers,
            "kills": dict(self.kills),
            "submitted": len(self.jobs),
            "completed": len(completed),
            "failed": len(failed),
            "lost": len(self.jobs) - len(completed) - len(failed),
            "duplicated_outputs": sum(j.completions - 1 for j in completed.values())
            + sum(n - 1 for n in output_paths.values()),
            "mismatched_outputs": sum(len(d) - 1 for d in by_variant.values()),
            "variants": len(by_variant),
            "webhooks_missing": sum(1 for i in completed if successes[i] == 0),
            "webhooks_repeated": sum(1 for n in successes.values() if n > 1),
            "submit_refused_while_down": self.submit_errors,
            "failures": Counter(j.failure[:120] for j in failed.values()).most_common(3),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--drain-minutes", type=float, default=15.0)
    parser.add_argument("--job-workers", type=int, default=2)
    parser.add_argument("--in-flight", type=int, default=4, help="jobs kept submitted")
    # Well above a job's length: a job whose process dies 3 times while running it is failed
    # on purpose (jobs/poisoned_jobs.py), so kills much more frequent than jobs fail them.
    parser.add_argument("--chaos-every-s", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polydub-soak-") as work:
        soak = Soak(args, Path(work))
        try:
            soak.run()
        finally:
            soak.server.kill(signal.SIGKILL)
            soak.hooks.close()
            soak.clip_server.shutdown()
        report = soak.report()
    for name, value in report.items():
        print(f"{name:>28}: {value}")
    sys.exit(
        1 if report["lost"] or report["duplicated_outputs"] or report["mismatched_outputs"] else 0
    )


if __name__ == "__main__":
    main()
