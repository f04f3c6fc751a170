"""Which key a request presents, looked up once every few seconds instead of on every request.

Authentication and the middleware (rate limits, idempotency) need the caller's key on every
request; polling clients send the same key hundreds of times a second, so the hash -> key
answer is cached briefly. A key revoked on this machine (`polydub keys revoke`, which touches
the revocation stamp in the data directory) is refused from the next request on: the cache
empties when the stamp changes (one stat() per request). An API machine with a data directory
of its own refuses it at the latest `ttl_s` seconds after revocation.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from polydub.jobs.db import Database
from polydub.jobs.keys import find_key, hash_key
from polydub.jobs.models import ApiKey

_MAX_ENTRIES = 10_000


def presented_secret(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key from `x-api-key` or `Authorization: Bearer`, given raw ASGI headers."""
    api_key = bearer = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"x-api-key":
            api_key = value.decode("latin-1").strip()
        elif lowered == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
    return api_key or bearer


class KeyCache:
    """Maps a presented secret to its live key row (detached, read-only; None: unknown or
    revoked) for `ttl_s` seconds."""

    def __init__(self, db: Database, ttl_s: float = 5.0, revocations: Path | None = None) -> None:
        self.db, self.ttl_s = db, ttl_s
        self._entries: dict[str, tuple[ApiKey | None, float]] = {}
        self._lock = threading.Lock()
        self._revocations = revocations  # the stamp file keys.stamp_revocation touches
        self._stamp_seen = self._stamp()

    def _stamp(self) -> int | None:
        try:
            return os.stat(self._revocations).st_mtime_ns if self._revocations else None
        except OSError:
            return None

    def _drop_if_revoked(self) -> None:
        stamp = self._stamp()
        if stamp != self._stamp_seen:
            with self._lock:
                self._entries.clear()
                self._stamp_seen = stamp

    def key(self, secret: str) -> ApiKey | None:
        """The live key behind `secret`, or None; may touch the database (call off the loop)."""
        hit, row = self.cached_key(secret)
        if hit:
            return row
        with self.db.session() as session:
            row = find_key(session, secret)
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()  # bounded memory against floods of random keys
            self._entries[hash_key(secret)] = (row, time.monotonic() + self.ttl_s)
        return row

    def cached_key(self, secret: str) -> tuple[bool, ApiKey | None]:
        """(hit, key) without touching the database: safe on the event loop."""
        self._drop_if_revoked()
        entry = self._entries.get(hash_key(secret))
        if entry is not None and entry[1] > time.monotonic():
            return True, entry[0]
        return False, None

    def owner_id(self, secret: str) -> str | None:
        """The id of the live key behind `secret`, or None; may touch the database."""
        row = self.key(secret)
        return row.id if row is not None else None

    def cached_owner_id(self, secret: str) -> tuple[bool, str | None]:
        hit, row = self.cached_key(secret)
        return hit, (row.id if row is not None else None)

    async def owner_of(self, headers: list[tuple[bytes, bytes]]) -> str | None:
        """The key id behind a request's headers, from the cache or (off the event loop) the
        database; None without a valid key."""
        from fastapi.concurrency import run_in_threadpool

        secret = presented_secret(headers)
        if not secret:
            return None
        hit, owner = self.cached_owner_id(secret)
        if not hit:
            owner = await run_in_threadpool(self.owner_id, secret)
        return owner
