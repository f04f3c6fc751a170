"""API benchmark: status polling under concurrent clients, and create throughput.

Starts the API in a subprocess on 127.0.0.1 (uvicorn on create_app, as `polydub serve` runs
it), seeds a key and some translation rows straight into its database, then:

1. polling: `--clients` keep-alive connections GET /v3/video-translations/{id} for
   `--duration` seconds. The load comes from wrk (Debian's package, written in C) when it is
   installed, so that the client takes little of the 2 cores it shares with the server;
   otherwise from a minimal asyncio HTTP/1.1 client (`--client raw`), or `--client httpx`
   for httpx.AsyncClient, which at 100 connections costs more CPU than the server;
2. create: the same clients POST /v3/video-translations (video given as an uploaded asset)
   for `--create-duration` seconds. Without `--with-dubbing` the server runs no executor, so
   created jobs stay pending; with it, one real dubbing job runs during both phases (created
   jobs then queue behind it and are abandoned when the server stops).

Prints requests/s and p50/p99 latency per phase. Loopback only; every loop is time-bounded.

    .venv/bin/python bench/api_bench.py [--clients 100] [--duration 10] [--with-dubbing]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LAUNCHER = """
import sys, uvicorn
from polydub.api.app import create_app
from polydub.config import load_settings
app = create_app(load_settings(), start_executor=sys.argv[2] == "1")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


@dataclass
class PhaseResult:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: dict[int | str, int] = field(default_factory=dict)

    def report(self) -> str:
        ok = sorted(self.latencies)
        if not ok:
            return f"{self.name}: no successful requests; errors {self.errors}"

        def pct(p: float) -> float:
            return ok[min(len(ok) - 1, int(p * len(ok)))] * 1000

        total = len(ok) + sum(self.errors.values())
        return (
            f"{self.name}: {total / self.seconds:,.0f} req/s ({len(ok):,} ok in "
            f"{self.seconds:.1f} s), p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, "
            f"max {ok[-1] * 1000:.1f} ms, errors {self.errors or 'none'}"
        )


class RawConnection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    Why not httpx here: at 100 concurrent connections httpx's AsyncClient spent more CPU than
    the server (a no-op route measured 51 req/s through it and 1,600 req/s through this), so
    it measured the client. This speaks just enough HTTP for our JSON answers
    (Content-Length bodies, no chunking).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, headers: dict, body: bytes = b"") -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self._reader.readexactly(length)
        return status

    def args(self) -> tuple:
        return (self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(data_dir: Path, count: int) -> tuple[str, list[str]]:
    """A key and `count` finished translations, written straight into the database."""
    from polydub.config import Settings
    from polydub.jobs.db import Database
    from polydub.jobs.keys import create_key
    from polydub.jobs.models import Batch, Translation

    db = Database(Settings(data_dir=data_dir).resolved_database_url)
    db.migrate()
    with db.session() as session:
        key, secret = create_key(session, "bench")
        batch = Batch(owner_id=key.id, kind="translation", request={}, status="completed")
        session.add(batch)
        session.flush()
        rows = [
            Translation(
                owner_id=key.id,
                batch_id=batch.id,
                title=f"bench {i}",
                status="completed",
                progress=1.0,
                output_language="Spanish",
                output_code="es",
                duration=6.0,
                report={"segments": 3, "drift_s": 0.0},
            )
            for i in range(count)
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]
    db.engine.dispose()
    return secret, ids


def start_server(data_dir: Path, port: int, executor: bool) -> subprocess.Popen:
    env = {
        **os.environ,
        "POLYDUB_DATA_DIR": str(data_dir),
        "POLYDUB_RATE_LIMIT_PER_MINUTE": "0",  # one key polls far beyond any sane limit
        "POLYDUB_ALLOW_PRIVATE_URLS": "true",
    }
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(port), "1" if executor else "0"], env=env
    )


def wait_ready(base: str, server: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start in time")


async def run_phase(
    name, clients: int, seconds: float, make_request, client_kind: str, rate: float = 0.0
):
    """`clients` concurrent loops, each on its own keep-alive connection, sending
    `make_request(connection, i) -> status` until time is up.

    rate 0: closed loop, each client sends its next request as soon as the last is answered
    (measures capacity; latency is then mostly queueing: 100 clients / throughput). rate > 0:
    each client sends on a fixed schedule of rate / clients requests a second, as polling
    clients do, and latency counts from the scheduled time (no coordinated omission).
    """
    result = PhaseResult(name=name, seconds=seconds)
    base = make_request.base
    if client_kind == "httpx":
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        shared = httpx.AsyncClient(limits=limits, timeout=30)
        connections = [_HttpxConnection(shared, base) for _ in range(clients)]
    else:
        host, port = base.removeprefix("http://").split(":")
        connections = [RawConnection(host, int(port)) for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    interval = clients / rate if rate > 0 else 0.0

    async def loop(worker: int) -> None:
        i, connection = worker, connections[worker]
        # Spread the clients' schedules over one interval so they do not fire together.
        scheduled = time.perf_counter() + interval * worker / clients
        while time.perf_counter() < deadline:
            if interval:
                await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                started = scheduled
                scheduled += interval
            else:
                started = time.perf_counter()
            try:
                status: int | str = await make_request(connection, i)
            except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
                status = type(exc).__name__
                connections[worker] = connection = type(connection)(*connection.args())
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.errors[status] = result.errors.get(status, 0) + 1
            i += clients

    begin = time.perf_counter()
    try:
        await asyncio.gather(*(loop(w) for w in range(clients)))
    finally:
        result.seconds = time.perf_counter() - begin
        for connection in connections:
            await connection.close()
        if client_kind == "httpx":
            await shared.aclose()
    return result


class _HttpxConnection:
    """The RawConnection interface over a shared httpx.AsyncClient (for comparison)."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client, self.base = client, base

    def args(self) -> tuple:
        return (self.client, self.base)

    async def request(self, method: str, path: str, headers: dict, body: bytes = b"") -> int:
        if body:
            headers = {**headers, "Content-Type": "application/json"}
        response = await self.client.request(
            method, self.base + path, headers=headers, content=body
        )
        return response.status_code

    async def close(self) -> None:
        pass


WRK_SCRIPT = """
local ids = {%(ids)s}
local n = 0
wrk.headers["x-api-key"] = "%(secret)s"
request = function()
  n = n + 1
  return wrk.format("GET", "/v3/video-translations/" .. ids[(n %% #ids) + 1])
end
%(pacing)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read + e.write, e.status, e.timeout))
end
"""


def wrk_phase(
    name: str, base: str, secret: str, ids: list[str], clients: int, seconds: float, rate=0.0
):
    """GET polling driven by wrk; latencies come back as wrk's percentiles.

    rate 0: closed loop (capacity). rate > 0: each connection waits clients / rate seconds
    after each answer, as a polling client does; the achieved rate is what is printed (wrk
    times from the actual send, so a slow server shows as a lower rate, not as latency).
    """
    pacing = ""
    if rate > 0:
        pacing = f"delay = function() return {clients * 1000 / rate:.3f} end"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            WRK_SCRIPT
            % {"ids": ", ".join(f'"{i}"' for i in ids), "secret": secret, "pacing": pacing}
        )
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
             "-s", script.name, base],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    found = re.search(r"RESULT ((?:\d+ ?){9})", out)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    total, micros, p50, p99, worst, connect, socket_errors, status, timeouts = map(
        int, found.group(1).split()
    )
    errors = {
        k: v
        for k, v in {"connect": connect, "socket": socket_errors, "non-2xx": status,
                     "timeout": timeouts}.items()
        if v
    }  # fmt: skip
    line = (
        f"{name}: {total / (micros / 1e6):,.0f} req/s ({total:,} in {micros / 1e6:.1f} s), "
        f"p50 {p50 / 1000:.1f} ms, p99 {p99 / 1000:.1f} ms, max {worst / 1000:.1f} ms, "
        f"errors {errors or 'none'}"
    )
    return line, total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_line(pid: int, since: float, requests: int) -> str:
    """The API process's CPU per request: unlike req/s, barely moved by other load."""
    used = cpu_seconds(pid) - since
    return f"    API process CPU: {used * 1000 / max(1, requests):.2f} ms per request"


def make_clip(path: Path, seconds: float, speech: bool) -> Path:
    if speech:
        from polydub.samples import make_talking_clip

        make_talking_clip(path, seconds)
    else:
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
             "-f", "lavfi", "-i", "sine=frequency=300", "-t", str(seconds), "-c:v", "libx264",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
            check=True,
        )  # fmt: skip
    return path


def upload(base: str, headers: dict, path: Path) -> str:
    with path.open("rb") as handle:
        response = httpx.post(
            f"{base}/v3/assets", headers=headers, files={"file": (path.name, handle)}, timeout=60
        )
    response.raise_for_status()
    return response.json()["data"]["id"]


def create_body(asset_id: str, language: str = "Spanish") -> dict:
    return {"video": {"type": "asset_id", "asset_id": asset_id}, "output_languages": [language]}


async def main_async(
    args, base: str, headers: dict, ids: list[str], asset_id: str, pid: int
) -> None:
    create_payload = json.dumps(create_body(asset_id)).encode()

    async def poll(connection, i: int) -> int:
        return await connection.request(
            "GET", f"/v3/video-translations/{ids[i % len(ids)]}", headers
        )

    async def create(connection, i: int) -> int:
        return await connection.request("POST", "/v3/video-translations", headers, create_payload)

    poll.base = create.base = base
    client = args.client
    # Warm up connections, the auth cache and the language catalog before measuring.
    await run_phase("warm-up", min(args.clients, 20), 1.0, poll, client)
    warm = await run_phase("warm-up create", 1, 0.5, create, client)
    if warm.errors:
        print("create warm-up errors:", warm.errors)
    label = f"{args.clients} {client} clients"
    since = cpu_seconds(pid)
    if args.poll_client == "wrk":
        name = f"GET status, {args.clients} wrk connections"
        line, requests = wrk_phase(
            name, base, headers["x-api-key"], ids, args.clients, args.duration
        )
        print(line)
    else:
        polled = await run_phase(f"GET status, {label}", args.clients, args.duration, poll, client)
        print(polled.report())
        requests = len(polled.latencies) + sum(polled.errors.values())
    print(cpu_line(pid, since, requests))
    if args.rate and args.poll_client == "wrk":
        since = cpu_seconds(pid)
        name = f"GET status, {args.clients} wrk connections paced at {args.rate:g}/s"
        line, requests = wrk_phase(
            name, base, headers["x-api-key"], ids, args.clients, args.duration, args.rate
        )
        print(line)
        print(cpu_line(pid, since, requests))
    elif args.rate:
        since = cpu_seconds(pid)
        paced = await run_phase(
            f"GET status, {label} paced at {args.rate:g}/s",
            args.clients, args.duration, poll, client, rate=args.rate,
        )  # fmt: skip
        print(paced.report())
        print(cpu_line(pid, since, len(paced.latencies) + sum(paced.errors.values())))
    since = cpu_seconds(pid)
    created = await run_phase(
        f"POST create, {label}", args.clients, args.create_duration, create, client
    )
    print(created.report())
    print(cpu_line(pid, since, len(created.latencies) + sum(created.errors.values())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0, help="polling seconds")
    parser.add_argument("--create-duration", type=float, default=5.0)
    parser.add_argument("--rows", type=int, default=50, help="translations to poll")
    parser.add_argument(
        "--rate", type=float, default=1050.0,
        help="also poll at this total rate (requests/s) spread over the clients; 0: skip",
    )  # fmt: skip
    parser.add_argument(
        "--client", choices=("raw", "httpx"), default="raw",
        help="raw: minimal keep-alive HTTP/1.1 client (default; measures the server); "
        "httpx: httpx.AsyncClient (costs more CPU than the server at 100 connections)",
    )  # fmt: skip
    parser.add_argument(
        "--poll-client", choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="wrk (default when installed): the closed-loop polling phase runs under wrk; "
        "python: under --client",
    )  # fmt: skip
    parser.add_argument(
        "--with-dubbing", action="store_true", help="run a real dubbing job during the phases"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="polydub-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        secret, ids = seed(data_dir, args.rows)
        headers = {"x-api-key": secret}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(data_dir, port, executor=args.with_dubbing)
        try:
            wait_ready(base, server)
            clip = make_clip(Path(tmp) / "clip.mp4", 6.0, speech=args.with_dubbing)
            asset_id = upload(base, headers, clip)
            if args.with_dubbing:
                job = httpx.post(
                    f"{base}/v3/video-translations", headers=headers,
                    json=create_body(asset_id), timeout=120,
                ).json()["data"]["video_translation_ids"][0]  # fmt: skip
                print(f"dubbing job {job} submitted; measuring while it runs")
            print(f"server pid {server.pid} on {base}; {os.cpu_count()} CPUs")
            asyncio.run(main_async(args, base, headers, ids, asset_id, server.pid))
            if args.with_dubbing:
                status = httpx.get(f"{base}/v3/video-translations/{job}", headers=headers)
                data = status.json()["data"]
                print(f"dubbing job after the phases: {data['status']} {data['progress']}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
