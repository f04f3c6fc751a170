"""A HeyGen v3 client generated at import time from HeyGen's own schemas
(../shared/heygen/v3-endpoints.json, via heygen_schema), not from Polydub's OpenAPI: what a
client written against HeyGen's API would send and expect.

One method per endpoint, named from HeyGen's summary in snake_case ("Get Video Translation"
-> get_video_translation). Path and query parameters are keyword arguments; a JSON body is
`body=`, a multipart upload `files=`:

    client = HeyGenClient.over_http("http://127.0.0.1:8000", api_key)
    created = client.create_video_translation(body={...})
    client.get_video_translation(video_translation_id=...)
    client.list_video_translations(limit=10, token=next_token)

Every call is held against HeyGen's schemas: the JSON body against the RequestSchema before it
is sent; a 2xx answer against the ResponseSchema; a 4xx answer must be HeyGen's error envelope;
a 5xx answer is never acceptable. Each check raises AssertionError saying what differs. The
httpx Response is returned (an in-process TestClient answers the same type).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from heygen_schema import check_request, check_response, endpoints

API_KEY_HEADER = "x-api-key"  # as HeyGen's clients send it; Polydub also takes Bearer


@dataclass(frozen=True)
class Operation:
    """One endpoint of HeyGen's schema file."""

    key: str  # "GET /v3/video-translations/{video_translation_id}"
    name: str  # get_video_translation
    method: str
    template: str
    path_params: tuple[str, ...]
    summary: str
    description: str

    @property
    def has_request_schema(self) -> bool:
        return "RequestSchema" in endpoints()[self.key]

    @property
    def has_response_schema(self) -> bool:
        return "ResponseSchema" in endpoints()[self.key]

    def path(self, params: dict[str, object]) -> str:
        missing = [name for name in self.path_params if params.get(name) in (None, "")]
        if missing:
            raise TypeError(f"{self.name}() needs {', '.join(missing)}")
        return self.template.format(**{name: params[name] for name in self.path_params})


def operation_name(summary: str) -> str:
    """HeyGen's summary in snake_case: "Search assets (images and icons)" ->
    search_assets_images_and_icons."""
    return re.sub(r"[^a-z0-9]+", "_", summary.lower()).strip("_")


def _operations() -> dict[str, Operation]:
    found: dict[str, Operation] = {}
    for key, spec in endpoints().items():
        method, template = key.split(" ", 1)
        name = operation_name(spec["summary"])
        assert name not in found, f"two endpoints would be {name}()"
        found[name] = Operation(
            key=key,
            name=name,
            method=method,
            template=template,
            path_params=tuple(re.findall(r"{(\w+)}", template)),
            summary=spec["summary"],
            description=spec.get("description", ""),
        )
    return found


OPERATIONS = _operations()
BY_KEY = {operation.key: operation for operation in OPERATIONS.values()}


def _query_value(value: object) -> str:
    # HeyGen's bulk endpoints take comma-separated ids; booleans go as JSON spells them.
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_error_envelope(key: str, response: httpx.Response) -> None:
    """A 4xx answer must be {"error": {"code", "message", "param", "doc_url"}}."""
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"{key} answered {response.status_code} without JSON") from exc
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{key} {response.status_code} is not the error envelope"
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), body
    assert set(error) <= {"code", "message", "param", "doc_url"}, body


class HeyGenClient:
    """Drives an in-process TestClient or a real server (httpx.Client) with an API key."""

    def __init__(self, http: httpx.Client, api_key: str | None) -> None:
        self.http = http
        self.headers = {API_KEY_HEADER: api_key} if api_key is not None else {}

    @classmethod
    def over_http(cls, base_url: str, api_key: str | None, timeout: float = 60) -> HeyGenClient:
        return cls(httpx.Client(base_url=base_url, timeout=timeout), api_key)

    @classmethod
    def in_process(cls, test_client, api_key: str | None) -> HeyGenClient:
        return cls(test_client, api_key)

    def close(self) -> None:
        self.http.close()

    def call(
        self,
        operation: Operation,
        *,
        body: dict | None = None,
        files: dict | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> httpx.Response:
        path = operation.path(params)
        query = {
            name: _query_value(value)
            for name, value in params.items()
            if name not in operation.path_params and value is not None
        }
        if body is not None:
            check_request(operation.key, body)
        elif files is not None and operation.has_request_schema:
            # A multipart upload: its form fields (files by name) against the schema.
            check_request(operation.key, {name: str(name) for name in files})
        response = self.http.request(
            operation.method,
            path,
            params=query,
            json=body,
            files=files,
            headers={**self.headers, **(headers or {})},
        )
        self._check_answer(operation, response)
        return response

    @staticmethod
    def _check_answer(operation: Operation, response: httpx.Response) -> None:
        status = response.status_code
        assert status < 500, f"{operation.key} answered {status}: {response.text[:500]}"
        if 400 <= status < 500:
            check_error_envelope(operation.key, response)
        elif 200 <= status < 300:
            body = response.json()
            if operation.has_response_schema:
                check_response(operation.key, body)
            else:  # HeyGen documents no body (batch creates): still the success envelope
                assert isinstance(body, dict) and "data" in body, body


def _method_for(operation: Operation):
    def method(self: HeyGenClient, **kwargs) -> httpx.Response:
        return self.call(operation, **kwargs)

    method.__name__ = method.__qualname__ = operation.name
    method.__doc__ = f"{operation.key}: {operation.summary}.\n\n{operation.description}"
    return method


for _operation in OPERATIONS.values():
    setattr(HeyGenClient, _operation.name, _method_for(_operation))
