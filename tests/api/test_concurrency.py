"""Many concurrent clients on a real uvicorn server: every request is answered, none stalls.

Regression test for a deadlock: with more concurrent requests than pooled database
connections, sync routes held connections while waiting for thread-pool slots that were all
taken by requests waiting for connections, until the pool's 30 s timeout answered 500s.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(tmp_path):
    app = create_app(
        Settings(data_dir=tmp_path / "data", rate_limit_per_minute=0), start_executor=False
    )
    with app.state.context.db.session() as session:
        _, secret = create_key(session, "load")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield port, secret
    server.should_exit = True
    thread.join(timeout=10)


async def _client(port: int, secret: str, requests: int, statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET /v3/brand-glossaries HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {secret}\r\n\r\n"
    ).encode()
    try:
        for _ in range(requests):
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            statuses.append(int(head.split(b" ", 2)[1]))
    finally:
        writer.close()


def test_sixty_concurrent_clients_are_all_answered(live_server):
    port, secret = live_server
    statuses: list[int] = []

    async def run() -> None:
        clients = [_client(port, secret, 5, statuses) for _ in range(60)]
        await asyncio.wait_for(asyncio.gather(*clients), timeout=25)

    started = time.monotonic()
    asyncio.run(run())
    assert statuses == [200] * 300
    assert time.monotonic() - started < 25
