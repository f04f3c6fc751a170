"""Dependencies routes share: the service context, the database session, the caller's key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from polydub.api.errors import ApiError
from polydub.jobs.context import ServiceContext
from polydub.jobs.keys import find_key
from polydub.jobs.models import ApiKey


async def get_context(request: Request) -> ServiceContext:
    # async: a plain attribute read must not cost a thread-pool hop on every request
    return request.app.state.context


ContextDep = Annotated[ServiceContext, Depends(get_context)]


def _session_gate(context: ServiceContext) -> asyncio.Semaphore:
    gate = context.extras.get("session_gate")
    if gate is None:
        size = getattr(context.db.engine.pool, "size", lambda: 5)()
        # Within the pooled connections (overflow ones are opened and closed per use), less
        # a few kept free for the middleware's short sessions.
        gate = context.extras["session_gate"] = asyncio.Semaphore(max(2, size - 3))
    return gate


async def get_session(context: ContextDep) -> AsyncIterator[Session]:
    # Why a gate, awaited on the event loop: a request holds its connection from its first
    # query until this exit, and in between a sync route needs a second thread-pool slot (to
    # serialize its response). With more requests than pooled connections, every slot ended
    # up in threads waiting for a connection while the holders waited for a slot: a deadlock
    # until the pool's 30 s timeout (found by bench/api_bench.py with 100 clients). Waiting
    # here holds no thread, and at most as many requests as connections get past it.
    async with _session_gate(context):
        with context.db.session() as session:
            yield session


SessionDep = Annotated[Session, Depends(get_session)]

T = TypeVar("T")


async def read_in_thread(context: ServiceContext, read: Callable[..., T], *args: object) -> T:
    """`read(connection, *args)` in a worker thread, for async routes: one thread-pool hop
    for the whole read, behind the same gate as SessionDep. A Core connection, not an ORM
    session: for a one-row read the session's unit of work was most of the cost."""

    def on_connection() -> T:
        with context.db.engine.connect() as connection:
            return read(connection, *args)

    async with _session_gate(context):
        return await run_in_threadpool(on_connection)


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _lookup_key(context: ServiceContext, secret: str) -> ApiKey | None:
    cache = context.extras.get("key_cache")  # polydub.api.auth_cache.KeyCache, set by the app
    if cache is not None:
        return cache.key(secret)
    with context.db.session() as session:
        return find_key(session, secret)


async def get_current_key(request: Request, context: ContextDep) -> ApiKey:
    """The caller's key, from `x-api-key` or `Authorization: Bearer`; 401 otherwise."""
    secret = _presented_key(request)
    if secret:
        cache = context.extras.get("key_cache")
        hit, key = cache.cached_key(secret) if cache is not None else (False, None)
        if not hit:
            key = await run_in_threadpool(_lookup_key, context, secret)
        if key is not None:
            request.state.owner_id = key.id
            return key
    raise ApiError(
        401, "authentication_failed", "Invalid or expired API key. Verify your x-api-key header."
    )


CurrentKey = Annotated[ApiKey, Depends(get_current_key)]
