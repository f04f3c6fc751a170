"""HeyGen's error envelope: {"error": {"code", "message", "param", "doc_url"}}.

Every error the API returns goes through here, so clients see one shape whatever failed:
validation, authentication, a missing resource, a rate limit or a bug; and no message names a
server path (an engine's error about /srv/data/work/.../audio.wav says audio.wav).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from polydub.errors import PolydubError
from polydub.server_paths import scrub_paths

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered in the envelope; raise it from routes and dependencies."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.param, self.headers = param, headers


def not_found(what: str, param: str | None = None) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found", param=param)


def invalid(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "invalid_parameter", message, param=param)


def envelope(code: str, message: str, param: str | None = None) -> dict:
    """HeyGen's error body; the message is scrubbed of server paths, whoever wrote it."""
    return {
        "error": {"code": code, "message": scrub_paths(message), "param": param, "doc_url": None}
    }


def _param_of(loc: tuple) -> str | None:
    # ("body", "video", "url") -> "video.url"; drop the source and pydantic's union tags.
    parts = [str(p) for p in loc[1:] if not str(p).startswith(("function-", "tagged-union"))]
    # A discriminated union adds its tag to the path: ("video", "url", "url") -> "video.url".
    parts = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
    return ".".join(parts) or (str(loc[0]) if loc else None)


def validation_message(errors, *, in_body: bool = True) -> tuple[str, str | None]:
    """The message and `param` of pydantic's first validation error. `in_body`: the locations
    start with the request part ("body", ...), as FastAPI reports them; a model validated by
    hand (a batch item) has none."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = tuple(first.get("loc", ()))
    param = _param_of(loc if in_body else ("body", *loc))
    if first.get("type") == "extra_forbidden":
        message = f"unknown field '{param}'"
    elif first.get("type") == "missing":
        message = f"'{param}' is required."
    else:
        message = f"{param}: {first.get('msg')}" if param else str(first.get("msg"))
    return message, param


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            envelope(exc.code, exc.message, exc.param), exc.status, headers=exc.headers
        )

    @app.exception_handler(PolydubError)
    async def _polydub_error(_: Request, exc: PolydubError) -> JSONResponse:
        return JSONResponse(envelope(exc.code, exc.message, exc.param), exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, param = validation_message(exc.errors())
        return JSONResponse(envelope("invalid_parameter", message, param), 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            401: "authentication_failed",
            404: "not_found",
            405: "method_not_allowed",
            429: "rate_limit_exceeded",
        }.get(exc.status_code, "invalid_parameter")
        return JSONResponse(envelope(code, str(exc.detail)), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return JSONResponse(envelope("internal_error", "internal server error"), 500)
