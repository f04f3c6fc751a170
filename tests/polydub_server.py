"""A real `polydub serve` process for end-to-end tests: uvicorn on loopback, its own data dir
and database, the real pipeline behind it; restartable on the same port and data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

POLYDUB = [sys.executable, "-m", "polydub.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """A `polydub serve` subprocess on its own data dir (and database)."""

    def __init__(self, data_dir: Path, database_url: str | None = None, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "POLYDUB_DATA_DIR": str(data_dir),
            "POLYDUB_ALLOW_PRIVATE_URLS": "true",
            "POLYDUB_PUBLIC_BASE_URL": self.base,
            **env,
        }
        if database_url:
            self.env["POLYDUB_DATABASE_URL"] = database_url
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "server.log"
        self.starts = 0

    def create_key(self, name: str = "test") -> str:
        done = subprocess.run(
            [*POLYDUB, "keys", "create", name],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout.strip().splitlines()[-1]

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*POLYDUB, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a kill reaches its ffmpeg too
            )
        self.starts += 1
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            try:
                httpx.get(self.base + "/v3/video-translations", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.3)
        raise AssertionError("server did not start:\n" + self.tail())

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (server, job process, their ffmpeg) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(60)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
