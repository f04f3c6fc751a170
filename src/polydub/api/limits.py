"""What a request body may be: at most `max_json_body_bytes` of standard JSON.

Every request body except a streamed upload (multipart/form-data to POST /v3/assets, or the
raw bytes of a direct upload to PUT /v3/uploads/{asset_id}, which write the file to disk as it
arrives under their own limit) is read here before any route sees it:

- past the limit it is answered 413 in HeyGen's envelope, before it is parsed: at once when
  Content-Length says so, else (a chunked body) as soon as the bytes read pass the limit, the
  rest left unread;
- a JSON body holding NaN, Infinity or -Infinity (which Python's parser accepts, and JSON
  does not) is answered 400 naming the field that holds it.

The body is then handed on unchanged. Field-level limits (title, urls, ...) live with the
request models (polydub.api.schemas.fields).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from polydub.api.errors import envelope

# Routes that stream a multipart body to disk themselves, under max_upload_bytes.
STREAMED_UPLOADS = frozenset({("POST", "/v3/assets")})
# Routes under these prefixes take a raw body of any type, streamed the same way.
STREAMED_UPLOAD_PREFIXES = (("PUT", "/v3/uploads/"),)


class _NonFinite:
    """Stands for a NaN/Infinity literal while the body is searched for one."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


class RequestBodyLimitMiddleware:
    """Refuses bodies over `max_bytes` (413) and JSON with non-finite numbers (400)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_streamed_upload(scope):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)  # refused before reading a byte
            return
        messages = await self._read_within_limit(receive)
        if messages is None:
            await self._too_large(scope, receive, send)
            return
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        problem = non_finite_number(body) if _is_json(scope) else None
        if problem is not None:
            param, literal = problem
            message = f"{param}: Input should be a finite number ({literal} is not JSON)"
            response = JSONResponse(envelope("invalid_parameter", message, param), 400)
            await response(scope, receive, send)
            return
        await self.app(scope, _replaying(messages, receive), send)

    async def _read_within_limit(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None as soon as they pass the limit (the rest unread)."""
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # the client went away; the app sees the disconnect
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return None
            if not message.get("more_body", False):
                return messages

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"request body is larger than the limit of {self.max_bytes} bytes"
        response = JSONResponse(
            envelope("invalid_parameter", message), 413, headers={"Connection": "close"}
        )
        await response(scope, receive, send)


def non_finite_number(body: bytes) -> tuple[str, str] | None:
    """(param, literal) of the first NaN/Infinity/-Infinity literal in a JSON body, else
    None (also for a body that is not JSON: the route answers that one)."""
    seen: list[_NonFinite] = []

    def constant(literal: str) -> _NonFinite:
        seen.append(_NonFinite(literal))
        return seen[-1]

    # One C-speed parse (a substring pre-check costs more on a large body, not less).
    try:
        parsed = json.loads(body, parse_constant=constant)
        return _find_non_finite(parsed, ()) if seen else None
    except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
        return None


def _find_non_finite(value: Any, where: tuple[str, ...]) -> tuple[str, str] | None:
    if isinstance(value, _NonFinite):
        return ".".join(where) or "body", value.literal
    if not isinstance(value, dict | list):
        return None
    for key, item in value.items() if isinstance(value, dict) else enumerate(value):
        found = _find_non_finite(item, (*where, str(key)))
        if found is not None:
            return found
    return None


def _is_streamed_upload(scope: Scope) -> bool:
    if any(
        scope["method"] == method and scope["path"].startswith(prefix)
        for method, prefix in STREAMED_UPLOAD_PREFIXES
    ):
        return True
    content_type = (_header(scope, b"content-type") or "").lower()
    return (
        content_type.startswith("multipart/form-data")
        and (scope["method"], scope["path"]) in STREAMED_UPLOADS
    )


def _is_json(scope: Scope) -> bool:
    # FastAPI parses a body without Content-Type as JSON too.
    content_type = (_header(scope, b"content-type") or "").lower().split(";")[0].strip()
    return not content_type or content_type == "application/json" or content_type.endswith("+json")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives the messages already read, then reads on (a disconnect)."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
