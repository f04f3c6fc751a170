"""The generated client itself: its methods come from HeyGen's schema file, and its checks can
fail (a body outside HeyGen's RequestSchema is refused before it is sent; an answer outside the
ResponseSchema, a 4xx outside the envelope and any 5xx are caught)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from heygen_client import BY_KEY, OPERATIONS, HeyGenClient, operation_name
from heygen_schema import endpoints

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key


@pytest.fixture(scope="module")
def heygen(tmp_path_factory):
    app = create_app(
        Settings(data_dir=tmp_path_factory.mktemp("client") / "data"), start_executor=False
    )
    with app.state.context.db.session() as session:
        _, secret = create_key(session, "client")
    with TestClient(app) as test_client:
        yield HeyGenClient.in_process(test_client, secret)


def test_one_method_per_endpoint_named_from_its_summary():
    assert len(OPERATIONS) == len(endpoints())
    assert operation_name("Search assets (images and icons)") == "search_assets_images_and_icons"
    operation = BY_KEY["GET /v3/video-translations/{video_translation_id}"]
    assert operation.name == "get_video_translation"
    assert operation.path_params == ("video_translation_id",)
    method = HeyGenClient.get_video_translation
    assert method.__name__ == "get_video_translation" and "Get Video Translation" in method.__doc__
    assert BY_KEY["GET /v3/video-translations"].name == "list_video_translations"


def test_a_path_parameter_is_required(heygen):
    with pytest.raises(TypeError, match="video_translation_id"):
        heygen.get_video_translation()


def test_a_body_outside_heygens_schema_is_never_sent(heygen):
    with pytest.raises(AssertionError, match="request outside HeyGen's schema"):
        heygen.create_video_translation(body={"video": "https://x/y.mp4"})
    # Nothing reached the server: no translation was made.
    assert heygen.list_video_translations().json()["data"] == []


def test_query_parameters_pass_through(heygen):
    page = heygen.list_video_translations(limit=1, token=None)
    assert page.status_code == 200
    assert dict(page.request.url.params) == {"limit": "1"}  # None is left out
    # HeyGen's bulk endpoints take comma-separated ids.
    statuses = heygen.bulk_video_translation_statuses(video_translation_ids=["a", "b"])
    assert statuses.request.url.params["video_translation_ids"] == "a,b"


def _answer(status: int, **kwargs) -> httpx.Response:
    return httpx.Response(status, **kwargs)


def test_an_answer_outside_the_response_schema_is_caught():
    operation = BY_KEY["GET /v3/video-translations/{video_translation_id}"]
    with pytest.raises(AssertionError, match="outside HeyGen's schema"):
        HeyGenClient._check_answer(operation, _answer(200, json={"data": {"id": 1}}))
    valid = {"data": {"id": "a", "status": "pending"}}
    HeyGenClient._check_answer(operation, _answer(200, json=valid))


@pytest.mark.parametrize(
    "response",
    [
        _answer(404, text="Not Found"),
        _answer(400, json={"detail": [{"msg": "FastAPI's own 422 shape"}]}),
        _answer(500, json={"error": {"code": "internal_error", "message": "boom"}}),
    ],
)
def test_error_answers_outside_the_envelope_and_any_5xx_are_caught(response):
    with pytest.raises(AssertionError):
        HeyGenClient._check_answer(BY_KEY["GET /v3/video-translations"], response)
