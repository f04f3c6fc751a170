"""Endpoint by endpoint against HeyGen's schema file (heygen_schema.endpoints_in_scope()):

- the app serves it: a route with that method and path template, documented in its OpenAPI;
- without a key it answers 401 in the error envelope, and a missing resource in its path is 404
  in the envelope (through the generated client, which checks the envelope);
- every request shape HeyGen's RequestSchema allows (each oneOf branch, each optional field
  present and absent, each enum value, null where nullable) is accepted by the route's request
  model; a multipart upload is sent for real.
Nothing here runs a job: the app has no executor.
"""

from __future__ import annotations

import json

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from heygen_client import BY_KEY, HeyGenClient
from heygen_schema import check_request, endpoints, endpoints_in_scope
from heygen_shapes import request_shapes
from pydantic import TypeAdapter, ValidationError

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key

IN_SCOPE = endpoints_in_scope()
WITH_BODY = [key for key in IN_SCOPE if "RequestSchema" in endpoints()[key]]
WITH_PATH_PARAMS = [key for key in IN_SCOPE if BY_KEY[key].path_params]
MISSING_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("coverage") / "data",
        allow_private_urls=True,
        rate_limit_per_minute=0,
    )
    return create_app(settings, start_executor=False)


@pytest.fixture(scope="module")
def test_client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def heygen(app, test_client) -> HeyGenClient:
    with app.state.context.db.session() as session:
        _, secret = create_key(session, "coverage")
    return HeyGenClient.in_process(test_client, secret)


@pytest.fixture(scope="module")
def served(app) -> set[str]:
    """ "METHOD /path/{param}" of every route the app serves (routing, not only the docs)."""
    keys = set()
    for route in iter_route_contexts(app.routes):
        for method in getattr(route, "methods", None) or ():
            keys.add(f"{method} {route.path_format}")
    return keys


def _route(app, key: str):
    method, path = key.split(" ", 1)
    for route in iter_route_contexts(app.routes):
        if route.path_format == path and method in (getattr(route, "methods", None) or ()):
            return route
    return None


def _path_params(key: str) -> dict[str, str]:
    return {name: MISSING_ID for name in BY_KEY[key].path_params}


def test_every_endpoint_in_scope_has_a_generated_method():
    assert len(IN_SCOPE) == len(endpoints()) - 2  # all but image search and voice design
    assert all(key in BY_KEY for key in IN_SCOPE)
    assert BY_KEY["GET /v3/video-translations/{video_translation_id}"].name == (
        "get_video_translation"
    )


@pytest.mark.parametrize("key", IN_SCOPE)
def test_endpoint_is_served_and_documented(app, served, key):
    assert key in served, f"no route for {key}"
    method, path = key.split(" ", 1)
    documented = app.openapi()["paths"].get(path, {})
    assert method.lower() in documented, f"{key} is served but not in /openapi.json"


@pytest.mark.parametrize("key", IN_SCOPE)
def test_endpoint_refuses_a_request_without_a_key(served, test_client, key):
    if key not in served:
        pytest.fail(f"no route for {key}")  # else a neighbour route would answer for it
    anonymous = HeyGenClient.in_process(test_client, None)
    response = anonymous.call(BY_KEY[key], **_path_params(key))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("key", WITH_PATH_PARAMS)
def test_a_missing_resource_is_404(served, heygen, key):
    if key not in served:
        pytest.fail(f"no route for {key}")
    operation = BY_KEY[key]
    body = None
    if operation.has_request_schema:
        body = request_shapes(endpoints()[key]["RequestSchema"])[0]
    response = heygen.call(operation, body=body, **_path_params(key))
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("key", WITH_BODY)
def test_every_request_shape_is_accepted(app, heygen, key):
    shapes = request_shapes(endpoints()[key]["RequestSchema"])
    for shape in shapes:
        check_request(key, shape)  # the shapes are HeyGen's, not our guesses
    route = _route(app, key)
    assert route is not None, f"no route for {key}"
    body_params = route.dependant.body_params
    if key == "POST /v3/assets":  # multipart, streamed by the route itself: send it
        srt = b"1\n00:00:00,000 --> 00:00:01,000\nHello\n"
        response = heygen.upload_asset(files={"file": ("captions.srt", srt, "text/plain")})
        assert response.status_code == 200, response.text
        return
    assert len(body_params) == 1, f"{key} has no single JSON body model"
    model = TypeAdapter(body_params[0].field_info.annotation)
    refused = []
    for shape in shapes:
        try:
            model.validate_json(json.dumps(shape))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            refused.append(f"{json.dumps(shape)[:160]} -> {where}: {first['msg']}")
    assert not refused, f"{len(refused)} of {len(shapes)} shapes refused:\n  " + "\n  ".join(
        refused[:12]
    )
