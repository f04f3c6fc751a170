"""The request id of the work at hand: set per API request, carried into the job a request
created (batches keep it) and into that job's webhook deliveries, and added to log records."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-Id"
_current: ContextVar[str | None] = ContextVar("polydub_request_id", default=None)
# Ids a client sends are echoed and logged: keep them short and free of log-forging characters.
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def current_request_id() -> str | None:
    """The request id of the request or job this code runs for, if any."""
    return _current.get()


def accepted_or_new(presented: str | None) -> str:
    """The client's id when it is a safe token, else a fresh random one."""
    if presented and _ACCEPTED.match(presented):
        return presented
    return uuid.uuid4().hex


@contextmanager
def request_id_set(request_id: str | None) -> Iterator[None]:
    """Make `request_id` current for the code in the block (this thread or task only)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)
