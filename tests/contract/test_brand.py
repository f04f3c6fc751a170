"""GET /v3/brand-glossaries and GET /v3/brand-kits against HeyGen's schemas, through the
generated client (which checks every answer): fields, paging with `token`, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from heygen_client import HeyGenClient
from heygen_schema import declared_fields

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key


@pytest.fixture
def app(tmp_path):
    return create_app(Settings(data_dir=tmp_path / "data"), start_executor=False)


@pytest.fixture
def test_client(app):
    with TestClient(app) as client:
        yield client


def _client(app, test_client, name: str) -> HeyGenClient:
    with app.state.context.db.session() as session:
        _, secret = create_key(session, name)
    return HeyGenClient.in_process(test_client, secret)


@pytest.fixture
def heygen(app, test_client) -> HeyGenClient:
    return _client(app, test_client, "brand")


def _make_glossary(heygen: HeyGenClient, name: str) -> str:
    # Glossaries are made with Polydub's own POST (HeyGen makes them in its web app).
    created = heygen.http.post(
        "/v3/brand-glossaries",
        headers=heygen.headers,
        json={"name": name, "terms": [{"source": "Reformer", "target": "Reformer"}]},
    )
    assert created.status_code == 200, created.text
    return created.json()["data"]["brand_glossary_id"]


def test_glossaries_list_in_heygens_shape_and_pages_with_token(app, test_client, heygen):
    made = [_make_glossary(heygen, f"Glossary {i}") for i in range(3)]
    _make_glossary(_client(app, test_client, "someone else"), "Not mine")
    seen, token = [], None
    for _ in range(5):
        page = heygen.list_brand_glossaries(limit=2, token=token).json()
        for item in page["data"]:
            assert declared_fields("GET /v3/brand-glossaries") <= set(item)
            assert item["id"] == item["brand_glossary_id"]  # Polydub's earlier name, kept
        seen += [item["brand_glossary_id"] for item in page["data"]]
        if not page["has_more"]:
            break
        token = page["next_token"]
    assert seen == list(reversed(made))


def test_a_listed_glossary_id_is_what_a_translation_takes(heygen):
    glossary_id = _make_glossary(heygen, "Pilates")
    (listed,) = heygen.list_brand_glossaries().json()["data"]
    assert listed["brand_glossary_id"] == glossary_id
    read = heygen.http.get(f"/v3/brand-glossaries/{glossary_id}", headers=heygen.headers)
    assert read.json()["data"]["terms"][0]["source"] == "Reformer"


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"token": "not-a-token!"}],
)
@pytest.mark.parametrize("operation", ["list_brand_glossaries", "list_brand_kits"])
def test_bad_paging_is_400(heygen, operation, params):
    response = getattr(heygen, operation)(**params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_brand_kits_is_an_honest_empty_page(heygen):
    # Polydub keeps no brand kits (colors, fonts, logos for HeyGen's video agents).
    page = heygen.list_brand_kits(limit=10).json()
    assert page == {"data": [], "has_more": False, "next_token": None}


@pytest.mark.parametrize("operation", ["list_brand_glossaries", "list_brand_kits"])
def test_without_a_key_is_401(test_client, operation):
    response = getattr(HeyGenClient.in_process(test_client, None), operation)()
    assert response.status_code == 401
