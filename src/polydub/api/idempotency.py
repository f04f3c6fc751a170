"""Idempotency-Key, as HeyGen's reference describes it, for every mutation route.

A POST, PUT, PATCH or DELETE under /v3 may carry `Idempotency-Key` (1-255 characters of
`[A-Za-z0-9_:.-]`, else 400 invalid_parameter). Its scope is the caller's key plus the method
and the concrete path, so the same key on another route or path parameter is independent.

- First request: a row is inserted `in_progress` (the database's unique constraint decides
  which of two concurrent requests is first), the route runs, and its status and JSON body are
  stored before the response leaves.
- Retry within 24 h: the stored response is replayed, even if the body differs (a warning is
  logged), with `Idempotent-Replayed: true`.
- Retry while the first is in flight: 409 request_in_progress.
- Records older than 24 h are ignored and replaced. Only 2xx answers are stored: an error
  means nothing was changed (bad input, throttled, our failure), so a corrected or later retry
  runs for real instead of replaying the error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polydub.api.auth_cache import KeyCache
from polydub.api.errors import envelope
from polydub.api.pagination import as_utc
from polydub.jobs.db import Database
from polydub.jobs.models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_\-:.]{1,255}$")
REPLAY_WINDOW = timedelta(hours=24)
# An in-progress record this old belongs to a request the server never finished (it crashed
# or was killed): a retry takes it over instead of waiting 24 h.
ABANDONED_AFTER = timedelta(minutes=30)
MUTATIONS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_STORED_BODY = 1024 * 1024
# A retry's body is hashed only to warn when it differs; past this size (uploads) it is not.
_MAX_COMPARED_BODY = 8 * 1024 * 1024
_PURGE_EVERY_S = 3600.0
_IN_PROGRESS, _COMPLETED = "in_progress", "completed"


@dataclass
class Claim:
    """The outcome of claiming (owner, scope, key): run the request, replay, or refuse."""

    record_id: int | None = None  # set when this request runs and must record its result
    replay: IdempotencyRecord | None = None
    in_progress: bool = False


class IdempotencyStore:
    """The idempotency_records table, through short sessions (called from a thread pool)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, owner_id: str, scope: str, key: str) -> Claim:
        """Insert an in-progress record, or report the existing one; stale rows are cleared."""
        now = datetime.now(UTC)
        for _ in range(3):  # a concurrent purge or takeover can make one attempt lose
            existing = self._find(owner_id, scope, key)
            if existing is not None:
                created = as_utc(existing.created_at)
                stale = now - created > REPLAY_WINDOW or (
                    existing.status == _IN_PROGRESS and now - created > ABANDONED_AFTER
                )
                if not stale:
                    if existing.status == _IN_PROGRESS:
                        return Claim(in_progress=True)
                    return Claim(replay=existing)
                self._delete_if_unchanged(existing)
            record_id = self._insert(owner_id, scope, key, now)
            if record_id is not None:
                return Claim(record_id=record_id)
        return Claim(in_progress=True)

    def _find(self, owner_id: str, scope: str, key: str) -> IdempotencyRecord | None:
        with self.db.session() as session:
            return session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.owner_id == owner_id,
                    IdempotencyRecord.scope == scope,
                    IdempotencyRecord.key == key,
                )
            )

    def _insert(self, owner_id: str, scope: str, key: str, now: datetime) -> int | None:
        row = IdempotencyRecord(
            owner_id=owner_id,
            scope=scope,
            key=key,
            request_hash="",
            status=_IN_PROGRESS,
            created_at=now,
        )
        try:
            with self.db.session() as session:
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            return None  # another request with the same key got there first

    def _delete_if_unchanged(self, record: IdempotencyRecord) -> None:
        # Matching on status and created_at too: only the request that saw this exact row
        # removes it, so two retries racing over a stale row do not both run.
        with self.db.session() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.id == record.id,
                    IdempotencyRecord.status == record.status,
                    IdempotencyRecord.created_at == record.created_at,
                )
            )

    def complete(self, record_id: int, request_hash: str, status: int, body: dict) -> None:
        with self.db.session() as session:
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record_id)
                .values(
                    status=_COMPLETED,
                    request_hash=request_hash,
                    response_status=status,
                    response_body=body,
                )
            )

    def release(self, record_id: int) -> None:
        """Forget a claim whose response is not replayable (an error, or not JSON)."""
        with self.db.session() as session:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))

    def purge_expired(self) -> int:
        """Delete records older than the replay window; returns how many."""
        cutoff = datetime.now(UTC) - REPLAY_WINDOW
        with self.db.session() as session:
            result = session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
            )
            return result.rowcount or 0


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _error(status: int, code: str, message: str, param: str | None = None) -> JSONResponse:
    return JSONResponse(envelope(code, message, param), status_code=status)


class _ResponseRecorder:
    """Holds a JSON response back until it is complete, so it is stored before it is sent."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.passthrough = False  # not storable (too big or not JSON): stream as it comes
        self.complete = False

    async def __call__(self, message: Message) -> None:
        if self.passthrough:
            await self.send(message)
            return
        if message["type"] == "http.response.start":
            self.start = message
            content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            if not content_type.startswith(b"application/json"):
                await self._flush_and_pass()
            return
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            self.chunks.append(body)
            self.size += len(body)
            if self.size > _MAX_STORED_BODY:
                await self._flush_and_pass(more_body=message.get("more_body", False))
                return
            if not message.get("more_body", False):
                self.complete = True
            return
        await self.send(message)

    async def _flush_and_pass(self, more_body: bool = True) -> None:
        self.passthrough = True
        if self.start is not None:
            await self.send(self.start)
        if self.chunks:
            await self.send(
                {
                    "type": "http.response.body",
                    "body": b"".join(self.chunks),
                    "more_body": more_body,
                }
            )
        self.chunks = []

    async def release(self) -> None:
        """Send the held-back response."""
        if self.passthrough or self.start is None:
            return
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": b"".join(self.chunks)})

    def json_body(self) -> dict | None:
        try:
            body = json.loads(b"".join(self.chunks))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None


class IdempotencyMiddleware:
    """ASGI middleware applying Idempotency-Key to every mutation under /v3, so routes do
    nothing themselves."""

    def __init__(self, app: ASGIApp, *, db: Database, keys: KeyCache) -> None:
        self.app, self.keys = app, keys
        self.store = IdempotencyStore(db)
        self._last_purge = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in MUTATIONS
            or not scope["path"].startswith("/v3/")
        ):
            await self.app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        if not KEY_PATTERN.match(key):
            response = _error(
                400,
                "invalid_parameter",
                "Idempotency-Key must be 1-255 characters from [A-Za-z0-9_:.-]",
                HEADER,
            )
            await response(scope, receive, send)
            return
        owner = await self.keys.owner_of(scope["headers"])
        if owner is None:
            await self.app(scope, receive, send)  # authentication answers 401
            return
        await self._run_once(scope, receive, send, owner, key)

    async def _run_once(
        self, scope: Scope, receive: Receive, send: Send, owner: str, key: str
    ) -> None:
        request_scope = f"{scope['method']} {scope['path']}"
        if time.monotonic() - self._last_purge > _PURGE_EVERY_S:
            self._last_purge = time.monotonic()
            await run_in_threadpool(self.store.purge_expired)
        claim = await run_in_threadpool(self.store.claim, owner, request_scope, key)
        if claim.in_progress:
            response = _error(
                409,
                "request_in_progress",
                "A request with this Idempotency-Key is already in progress. Retry shortly.",
            )
            await response(scope, receive, send)
            return
        hasher = hashlib.sha256()
        if claim.replay is not None:
            await self._replay(scope, receive, send, claim.replay, hasher, key)
            return

        async def hashing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                hasher.update(message.get("body", b""))
            return message

        recorder = _ResponseRecorder(send)
        try:
            await self.app(scope, hashing_receive, recorder)
        except BaseException:
            await run_in_threadpool(self.store.release, claim.record_id)
            raise
        status = recorder.start["status"] if recorder.start else 500
        body = recorder.json_body() if recorder.complete and not recorder.passthrough else None
        if body is not None and 200 <= status < 300:
            await run_in_threadpool(
                self.store.complete, claim.record_id, hasher.hexdigest(), status, body
            )
        else:
            await run_in_threadpool(self.store.release, claim.record_id)
        await recorder.release()

    async def _replay(
        self, scope: Scope, receive: Receive, send: Send, record: IdempotencyRecord, hasher, key
    ) -> None:
        # Read the retry's body only to compare it with the original's; it is not acted on.
        read, compared = 0, True
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            read += len(chunk)
            if read > _MAX_COMPARED_BODY:
                compared = False
                break
            hasher.update(chunk)
            if not message.get("more_body", False):
                break
        if compared and record.request_hash and hasher.hexdigest() != record.request_hash:
            logger.warning(
                "Idempotency-Key %s on %s %s replayed for a request whose body differs from "
                "the original's",
                key,
                scope["method"],
                scope["path"],
            )
        response = JSONResponse(
            record.response_body,
            status_code=record.response_status or 200,
            headers={"Idempotent-Replayed": "true"},
        )
        await response(scope, receive, send)
