"""Every request's one access-log line and request id, and the HTTP request counter.

Outermost middleware: a request refused by the rate limiter or by authentication (401) is
logged and counted like any other. The request id is the client's `X-Request-Id` when it is a
safe token, else a new one; it is echoed on the response, current while the request runs (so
log lines, and the batch a create request stores, carry it).
"""

from __future__ import annotations

import logging
import time

from polydub.request_ids import HEADER, accepted_or_new, request_id_set

access_logger = logging.getLogger("polydub.access")
# Probes a load balancer or scraper sends every few seconds: logged at DEBUG while they pass.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_HEADER_BYTES = HEADER.lower().encode()


class RequestLogMiddleware:
    """Pure ASGI: sets the request id, adds it to the response, logs and counts the answer."""

    def __init__(self, app, metrics=None) -> None:
        self.app = app
        self.metrics = metrics  # polydub.api.metrics.ServiceMetrics, or None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        presented = None
        for name, value in scope["headers"]:
            if name.lower() == _HEADER_BYTES:
                presented = value.decode("latin-1").strip()
        request_id = accepted_or_new(presented)
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != _HEADER_BYTES]
                message = {**message, "headers": [*headers, (_HEADER_BYTES, request_id.encode())]}
            await send(message)

        with request_id_set(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._record(scope, status, time.perf_counter() - started, request_id)

    def _record(self, scope, status: int, seconds: float, request_id: str) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        if self.metrics is not None:
            self.metrics.count_request(template, scope["method"], status)
        client = scope.get("client")
        quiet = scope["path"] in PROBE_PATHS and status < 400
        access_logger.log(
            logging.DEBUG if quiet else logging.INFO,
            '%s "%s %s" %d %.1f ms',
            client[0] if client else "-",
            scope["method"],
            scope["path"],
            status,
            seconds * 1000,
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
