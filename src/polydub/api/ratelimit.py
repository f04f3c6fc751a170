"""Per-key rate limits: a token bucket of `rate_limit_per_minute` requests per API key.

Over the limit the API answers 429 rate_limit_exceeded with `Retry-After` (whole seconds).
The bucket store sits behind the small `RateLimiter` protocol so a shared store (Redis, for
several server processes) can replace the in-process one without touching the middleware.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from polydub.api.auth_cache import KeyCache
from polydub.api.errors import envelope


class RateLimiter(Protocol):
    def acquire(self, key: str) -> float:
        """Take one token for `key`: 0 when allowed, else the seconds until one is free."""
        ...


class TokenBucketLimiter:
    """In-process buckets: `per_minute` tokens of capacity, refilled continuously.

    A burst of up to `per_minute` requests passes at once; after that requests pass at the
    refill rate. Buckets idle long enough to be full again are dropped to bound memory.
    """

    def __init__(self, per_minute: int, *, clock=time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                allowed = True
            else:
                self._buckets[key] = (tokens, now)
                allowed = False
            if len(self._buckets) > 100_000:
                self._drop_full(now)
        return 0.0 if allowed else (1.0 - tokens) / self.rate

    def _drop_full(self, now: float) -> None:
        refill_s = self.capacity / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill_s}


def retry_after_header(wait_s: float) -> str:
    """Retry-After in whole seconds, never 0 (a client retrying at once would be refused)."""
    return str(max(1, math.ceil(wait_s)))


def rate_limited_response(wait_s: float) -> JSONResponse:
    return JSONResponse(
        envelope(
            "rate_limit_exceeded",
            "Too many requests. Retry after the duration specified in the Retry-After header.",
        ),
        status_code=429,
        headers={"Retry-After": retry_after_header(wait_s)},
    )


class RateLimitMiddleware:
    """ASGI middleware: one token per request to /v3 from a valid key.

    Requests without a valid key are not counted here; authentication refuses them.
    """

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, keys: KeyCache) -> None:
        self.app, self.limiter, self.keys = app, limiter, keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v3/"):
            await self.app(scope, receive, send)
            return
        owner = await self.keys.owner_of(scope["headers"])
        if owner is not None:
            wait_s = self.limiter.acquire(owner)
            if wait_s > 0:
                await rate_limited_response(wait_s)(scope, receive, send)
                return
        await self.app(scope, receive, send)
