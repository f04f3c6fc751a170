"""The SSRF guard: which addresses are refused, at request time and at connect time."""

from __future__ import annotations

import http.server
import ipaddress
import threading

import pytest

from polydub.jobs.netguard import (
    GuardedBackend,
    UnsafeUrlError,
    check_url,
    guarded_client,
    is_public_address,
)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.10",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fd12:3456::1",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "::ffff:127.0.0.1",  # IPv4-mapped IPv6 reaching loopback
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeUrlError):
        check_url(f"http://{host}/x.mp4", allow_private=False)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert is_public_address(ipaddress.ip_address(address))


def test_hostname_resolving_to_loopback_is_refused():
    with pytest.raises(UnsafeUrlError, match="localhost resolves to"):
        check_url("http://localhost:8000/video.mp4", allow_private=False)
    check_url("http://localhost:8000/video.mp4", allow_private=True)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a", "gopher://x", "http:///nohost", "x"]
)
def test_only_http_urls_with_a_host(url):
    with pytest.raises(UnsafeUrlError):
        check_url(url, allow_private=True)


@pytest.fixture
def local_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        hits = 0

        def do_GET(self):  # noqa: N802
            Handler.hits += 1
            target = self.path.removeprefix("/redirect?to=")
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, Handler
    server.shutdown()
    server.server_close()


def test_connect_time_guard_refuses_loopback(local_server):
    server, handler = local_server
    url = f"http://localhost:{server.server_port}/x"
    with guarded_client(allow_private=False, timeout=5) as client:
        with pytest.raises(UnsafeUrlError):
            client.get(url)
    assert handler.hits == 0  # refused before any byte was sent
    with guarded_client(allow_private=True, timeout=5) as client:
        assert client.get(url).text == "ok"
    assert handler.hits == 1


def test_connect_time_guard_applies_to_every_connection():
    backend = GuardedBackend(allow_private=False)
    with pytest.raises(UnsafeUrlError):
        backend.connect_tcp("127.0.0.1", 80)
    with pytest.raises(UnsafeUrlError):
        backend.connect_tcp("::ffff:169.254.169.254", 80)
