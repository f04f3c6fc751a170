"""A webhook endpoint for tests: a local HTTP server recording what it is POSTed."""

from __future__ import annotations

import http.server
import threading
import time


class Receiver:
    """Answers with the given status codes in turn (then 200); `requests` holds (headers,
    body) of each POST, and `got` is set once one arrived. `headers` are sent with every
    answer, `delay_s` is waited before answering, and `port` 0 picks a free port."""

    def __init__(
        self,
        statuses: list[int] = (),
        *,
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
        port: int = 0,
    ) -> None:
        self.statuses = list(statuses)
        self.headers = dict(headers or {})
        self.lock = threading.Lock()
        self.requests: list[tuple[dict, bytes]] = []
        self.got = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append((dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                if delay_s:
                    time.sleep(delay_s)
                self.send_response(status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.got.set()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
