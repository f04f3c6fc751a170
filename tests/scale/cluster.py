"""A Polydub deployment in processes on this machine: `polydub serve` with the Celery executor
and `polydub worker`s, each with its own data directory (as on separate machines), sharing
PostgreSQL, a broker and an S3-compatible store."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from scale_services import S3_KEY_ENV, free_port

POLYDUB = [sys.executable, "-m", "polydub.cli"]
JOB_TIMEOUT_S = 600
SIGNING_SECRET = "scale-test-secret"  # every API machine must sign file URLs alike


class PolydubProcess:
    def __init__(self, args: list[str], env: dict, log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*POLYDUB, *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a kill reaches its pool children and ffmpeg too
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(60)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Cluster:
    def __init__(
        self,
        root: Path,
        *,
        database_url: str,
        broker_url: str,
        s3_endpoint: str,
        bucket: str,
        extra_env: dict | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.common_env = {
            **os.environ,
            **S3_KEY_ENV,
            "POLYDUB_EXECUTOR": "celery",
            "POLYDUB_BROKER_URL": broker_url,
            "POLYDUB_DATABASE_URL": database_url,
            "POLYDUB_STORAGE_URL": f"s3://{bucket}/polydub",
            "POLYDUB_STORAGE_ENDPOINT_URL": s3_endpoint,
            "POLYDUB_SIGNING_SECRET": SIGNING_SECRET,
            "POLYDUB_ALLOW_PRIVATE_URLS": "true",
            "POLYDUB_PUBLIC_BASE_URL": self.base,
            "POLYDUB_TTS_WORKERS": "1",  # two workers share two cores
            **(extra_env or {}),
        }
        self.api = PolydubProcess(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
            self.env_for("api"),
            root / "api.log",
        )
        self.workers: dict[str, PolydubProcess] = {}

    def env_for(self, name: str) -> dict:
        return {**self.common_env, "POLYDUB_DATA_DIR": str(self.root / name)}

    def create_key(self) -> str:
        done = subprocess.run(
            [*POLYDUB, "keys", "create", "scale"],
            env=self.env_for("api"),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout.strip().splitlines()[-1]

    def start_api(self) -> None:
        self.api.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.api.process.poll() is None, self.api.text()[-3000:]
            try:
                httpx.get(self.base + "/v3/video-translations", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.3)
        raise AssertionError("API did not start:\n" + self.api.text()[-3000:])

    def start_worker(self, name: str, queues: str | None = None) -> PolydubProcess:
        args = ["worker", f"--hostname={name}@%h", "--log-level=info"]
        if queues:
            args.append(f"--queues={queues}")
        worker = PolydubProcess(args, self.env_for(name), self.root / f"{name}.log")
        worker.start()
        self.workers[name] = worker
        return worker

    def stop(self) -> None:
        for worker in self.workers.values():
            worker.kill(signal.SIGKILL)
        self.api.kill(signal.SIGTERM)

    def logs(self) -> str:
        parts = [("api", self.api)] + list(self.workers.items())
        return "\n".join(f"--- {name}\n{p.text()[-4000:]}" for name, p in parts)


def create_translation(
    client: httpx.Client, clip_url: str, languages: list[str], **fields
) -> list[str]:
    created = client.post(
        "/v3/video-translations",
        json={"video": {"type": "url", "url": clip_url}, "output_languages": languages, **fields},
    )
    assert created.status_code == 200, created.text
    return created.json()["data"]["video_translation_ids"]


def poll(client: httpx.Client, translation_id: str, until, timeout: float = JOB_TIMEOUT_S) -> dict:
    return poll_path(client, f"/v3/video-translations/{translation_id}", until, timeout)


def completed(data: dict) -> bool:
    return data["status"] == "completed"


def poll_path(client: httpx.Client, path: str, until=completed, timeout=JOB_TIMEOUT_S) -> dict:
    """GET `path` until `until(data)`; a failed job fails the test with its message."""
    deadline = time.monotonic() + timeout
    data: dict = {}
    while time.monotonic() < deadline:
        data = client.get(path).json()["data"]
        if data["status"] == "failed":
            raise AssertionError(f"{path} failed: {data.get('failure_message')}")
        if until(data):
            return data
        time.sleep(0.5)
    raise AssertionError(f"{path} timed out; last state {data}")


def output_digests(client: httpx.Client, data: dict) -> dict[str, str]:
    """sha256 of a completed translation's video and captions, downloaded over HTTP, and the
    engines and voices its report names (where outputs differ, these say whether a choice
    did)."""
    digests = {"engines": json.dumps(data["report"]["engines"], sort_keys=True)}
    caption = client.get(
        f"/v3/video-translations/{data['id']}/caption", params={"format": "srt"}
    ).json()["data"]
    for name, url in (("video", data["video_url"]), ("srt", caption["caption_url"])):
        response = httpx.get(url, timeout=60)
        assert response.status_code == 200, (name, response.status_code)
        digests[name] = hashlib.sha256(response.content).hexdigest()
    return digests
