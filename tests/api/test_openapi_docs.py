"""/openapi.json describes what the API does (400 not 422, the error envelope, security
schemes, Idempotency-Key), and /docs and /redoc work with no internet."""

from __future__ import annotations

import re

import pytest

from polydub.api.idempotency import KEY_PATTERN


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict:
    from polydub.api.app import create_app
    from polydub.config import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("openapi-docs"))
    return create_app(settings, start_executor=False).openapi()


def _operations(spec: dict):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_no_operation_documents_422_and_bad_input_is_400(spec):
    operations = list(_operations(spec))
    assert len(operations) >= 20
    for method, path, operation in operations:
        assert "422" not in operation["responses"], f"{method} {path}"
        if operation.get("parameters") or "requestBody" in operation:
            assert "400" in operation["responses"], f"{method} {path}"
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_error_answers_are_the_envelope(spec):
    statuses_seen = set()
    for _, _, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                statuses_seen.add(status)
                body = _resolve(spec, response)["content"]["application/json"]
                envelope = _resolve(spec, body["schema"])
                error = _resolve(spec, envelope["properties"]["error"])
                assert {"code", "message"} <= set(error["required"])
                assert set(error["properties"]) == {"code", "message", "param", "doc_url"}
                example = body["example"]["error"]
                assert set(example) == {"code", "message", "param", "doc_url"}
    assert {"400", "401", "404", "409", "429"} <= statuses_seen


def test_security_says_which_operations_need_a_key(spec, client, api_key):
    """Held against the real answers: an operation documented with security refuses a call
    without a key (401) and takes the key from either scheme; one documented without it
    (signed file links) does not ask for a key."""
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {**schemes["ApiKeyAuth"], "type": "apiKey", "in": "header"}
    assert schemes["ApiKeyAuth"]["name"].lower() == "x-api-key"
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    secured = 0
    for method, path, operation in _operations(spec):
        concrete = re.sub(r"{[^}]+}", "0123456789abcdef", path)
        anonymous = client.request(method, concrete)
        if "security" in operation:
            secured += 1
            assert operation["security"] == [{"ApiKeyAuth": []}, {"BearerAuth": []}], path
            assert {"401", "429"} <= set(operation["responses"]), path
            assert anonymous.status_code == 401, f"{method} {path}"
        else:
            assert anonymous.status_code != 401, f"{method} {path} wants a key it does not document"
    assert secured >= 20
    bearer = client.get("/v3/video-translations", headers={"Authorization": f"Bearer {api_key}"})
    assert bearer.status_code == 200


def test_mutations_take_idempotency_key_and_may_answer_409(spec):
    mutations = [
        (method, path, op)
        for method, path, op in _operations(spec)
        if method in {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert any(path == "/v3/video-translations" for _, path, _ in mutations)
    for method, path, operation in mutations:
        headers = [_resolve(spec, p) for p in operation.get("parameters", [])]
        (key,) = [p for p in headers if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        assert key["required"] is False
        assert key["schema"]["pattern"] == KEY_PATTERN.pattern
        assert "409" in operation["responses"], f"{method} {path}"
    for method, _path, operation in _operations(spec):
        if method == "GET":
            assert "409" not in operation["responses"]


def test_documented_400_is_what_the_api_answers(client, auth):
    # The claim the spec makes, held against a real answer: bad input is 400, in the envelope.
    response = client.post("/v3/video-translations", headers=auth, json={"title": 1})
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"code", "message", "param", "doc_url"}


_EXTERNAL = re.compile(r"""(?:src|href|url)\s*[=:(]\s*["']?((?:https?:)?//[^"' )>]+)""", re.I)
_LOCAL = re.compile(r"""(?:src|href)\s*=\s*["'](/[^"']+)["']""", re.I)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_nothing_from_outside(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert _EXTERNAL.findall(html) == [], "the page loads from outside the server"
    assets = _LOCAL.findall(html)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000 or asset.endswith(".png"), asset
    assert client.get("/openapi.json").status_code == 200
    if page == "/docs":  # no validator badge fetched from validator.swagger.io either
        assert '"validatorUrl": null' in html
