"""The body limit over real HTTP: uvicorn on loopback, a raw socket client.

A chunked body far over the limit is answered 413 in the envelope while the client is still
sending, and the server stops reading it (the client cannot send it all); a declared
Content-Length over the limit is answered before any body byte is sent.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest
import uvicorn

from polydub.api.app import create_app
from polydub.config import Settings

pytestmark = pytest.mark.e2e

LIMIT = 64 * 1024
TOTAL = 32 * 1024 * 1024  # far past what socket buffers hold


@pytest.fixture(scope="module")
def server_port(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("limits"), max_json_body_bytes=LIMIT)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, start_executor=False), host="127.0.0.1", port=port, log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(port: int, head: bytes, body_chunks) -> tuple[int, dict, int]:
    """Send `head` then the chunks from a thread while reading the answer; returns the status,
    the JSON body and how many body bytes the client managed to send."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head)

        def send_body():
            nonlocal sent
            try:
                for chunk in body_chunks:
                    conn.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass  # the server answered and closed: expected

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            part = conn.recv(65536)
            if not part:
                break
            answer += part
        with contextlib.suppress(OSError):  # already reset by the server
            conn.shutdown(socket.SHUT_RDWR)  # wakes a sender blocked on a full buffer
        sender.join(timeout=30)
    head_part, _, payload = answer.partition(b"\r\n\r\n")
    return int(head_part.split()[1]), json.loads(payload), sent


def test_chunked_body_over_the_limit_is_cut_short_with_a_413(server_port):
    head = (
        b"POST /v3/video-translations HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    size = 64 * 1024
    chunks = (b"%x\r\n" % size + b" " * size + b"\r\n" for _ in range(TOTAL // size))
    status, body, sent = _exchange(server_port, head, chunks)
    assert status == 413
    assert body["error"]["message"] == f"request body is larger than the limit of {LIMIT} bytes"
    assert sent < TOTAL  # the server stopped reading


def test_declared_length_over_the_limit_is_answered_before_the_body(server_port):
    head = (
        b"POST /v3/brand-glossaries HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (LIMIT + 1)
    )
    status, body, sent = _exchange(server_port, head, iter(()))
    assert status == 413 and sent == 0
    assert body["error"]["code"] == "invalid_parameter"
