"""What /openapi.json says beyond what FastAPI infers from the routes, written once for every
route (today's and those added later), in the shape of HeyGen's own OpenAPI:

- security: `ApiKeyAuth` (the `x-api-key` header) or `BearerAuth` (`Authorization: Bearer`), on
  every operation whose route asks for the caller's key (api.deps.get_current_key);
- errors: the API answers bad input 400, not FastAPI's 422, always in the error envelope; and
  401, 404, 409, 413 and 429 where they can happen, each with the envelope;
- the `Idempotency-Key` header on every mutation the idempotency middleware covers.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

from polydub.api.deps import get_current_key
from polydub.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from polydub.api.idempotency import KEY_PATTERN, MUTATIONS
from polydub.api.schemas.common import ErrorEnvelope

SECURITY_SCHEMES = {
    "ApiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "An API key made with `polydub keys create`.",
    },
    "BearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "The same API key, as `Authorization: Bearer <key>`.",
    },
}
SECURITY = [{"ApiKeyAuth": []}, {"BearerAuth": []}]

# Error answers: (status, component name, description, example code, example message).
_ERRORS = {
    "400": ("InvalidRequest", "Invalid request parameters", "invalid_parameter",
            "'video' is required."),
    "401": ("AuthenticationFailed", "Authentication failed", "authentication_failed",
            "Invalid or expired API key. Verify your x-api-key header."),
    "404": ("NotFound", "The resource does not exist or belongs to another key", "not_found",
            "video translation not found"),
    "409": ("IdempotencyInProgress",
            "A prior request with this Idempotency-Key is still in progress. Wait for it to "
            "complete, then retry.", "request_in_progress",
            "A request with this Idempotency-Key is already in progress. Retry shortly."),
    "413": ("PayloadTooLarge", "The request body is larger than the server accepts",
            "invalid_parameter",
            "request body is larger than the limit of 1048576 bytes"),
    "429": ("RateLimited", "Rate limit exceeded", "rate_limit_exceeded",
            "Too many requests. Retry after the duration specified in the Retry-After header."),
}  # fmt: skip

IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Optional client-supplied key for safely retrying mutations. Calls within 24 hours "
        "that share this key replay the original response; a retry while the original is in "
        "flight gets 409 `request_in_progress`. Scope: the API key, method and concrete path."
    ),
    "schema": {
        "type": "string",
        "pattern": KEY_PATTERN.pattern,
        "minLength": 1,
        "maxLength": 255,
    },
}


def install_openapi(app: FastAPI, *, rate_limited: bool) -> None:
    """Make `app.openapi()` (and so /openapi.json and /docs) describe what the app does."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document_errors_and_security(schema, app.routes, rate_limited=rate_limited)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_errors_and_security(schema: dict, routes: Iterable, *, rate_limited: bool) -> None:
    """Add the security schemes, error responses and Idempotency-Key to `schema` in place."""
    components = schema.setdefault("components", {})
    _add_error_components(components)
    components["securitySchemes"] = SECURITY_SCHEMES
    components.setdefault("parameters", {})["IdempotencyKey"] = IDEMPOTENCY_PARAMETER
    authenticated = _authenticated_operations(routes)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            _document_operation(
                operation,
                method.upper(),
                path,
                needs_key=(method.upper(), path) in authenticated,
                rate_limited=rate_limited,
            )
    _drop_unused_validation_schemas(components)


def _document_operation(
    operation: dict, method: str, path: str, *, needs_key: bool, rate_limited: bool
) -> None:
    responses = operation.setdefault("responses", {})
    had_validation = responses.pop("422", None) is not None
    idempotent = method in MUTATIONS and path.startswith("/v3/")
    statuses = set()
    if had_validation or idempotent or operation.get("parameters") or "requestBody" in operation:
        statuses.add("400")
    if needs_key:
        operation["security"] = SECURITY
        statuses.add("401")
        if rate_limited and path.startswith("/v3/"):
            statuses.add("429")
    if "{" in path:
        statuses.add("404")
    if "requestBody" in operation:
        statuses.add("413")
    if idempotent:
        statuses.add("409")
        parameters = operation.setdefault("parameters", [])
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    for status in sorted(statuses):
        responses.setdefault(status, {"$ref": f"#/components/responses/{_ERRORS[status][0]}"})


def _add_error_components(components: dict) -> None:
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = components.setdefault("schemas", {})
    schemas.update(envelope.pop("$defs", {}))
    schemas["ErrorEnvelope"] = envelope
    responses = components.setdefault("responses", {})
    for status, (name, description, code, message) in _ERRORS.items():
        response = {
            "description": description,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorEnvelope"},
                    "example": {
                        "error": {"code": code, "message": message, "param": None, "doc_url": None}
                    },
                }
            },
        }
        if status == "429":
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying",
                    "schema": {"type": "integer"},
                }
            }
        responses[name] = response


def _drop_unused_validation_schemas(components: dict) -> None:
    # FastAPI's 422 body schemas describe an answer this API never gives.
    schemas = components.get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


def _authenticated_operations(routes: Iterable) -> set[tuple[str, str]]:
    # Route contexts, not app.routes: included routers appear there as one opaque entry.
    found = set()
    for route in iter_route_contexts(list(routes)):
        dependant = getattr(route, "dependant", None)
        if isinstance(dependant, Dependant) and _depends_on(dependant, get_current_key):
            found |= {(method, route.path_format) for method in route.methods or ()}
    return found


def _depends_on(dependant: Dependant, call) -> bool:
    return any(sub.call is call or _depends_on(sub, call) for sub in dependant.dependencies)
