"""/v3/brand-glossaries: CRUD, validation, pagination, owner isolation, load_glossary."""

from __future__ import annotations

from datetime import datetime

import pytest

from polydub.domain.glossary import Glossary
from polydub.errors import NotFoundError
from polydub.jobs.glossaries import load_glossary
from polydub.jobs.keys import find_key

TERMS = [
    {"source": "Reformer", "target": "Reformer"},
    {"source": "sign-up", "target": "registro"},
]


def _create(client, auth, name="Pilates", terms=TERMS):
    response = client.post(
        "/v3/brand-glossaries", headers=auth, json={"name": name, "terms": terms}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_create_and_read(client, auth):
    created = _create(client, auth)
    assert created["name"] == "Pilates"
    assert [(t["source"], t["target"]) for t in created["terms"]] == [
        ("Reformer", "Reformer"),
        ("sign-up", "registro"),
    ]
    # HeyGen's list declares brand_glossary_id and ISO 8601 times; `id` stays as an alias.
    assert created["brand_glossary_id"] == created["id"]
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    read = client.get(f"/v3/brand-glossaries/{created['id']}", headers=auth)
    assert read.json()["data"] == created


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"terms": TERMS}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "terms": [{"source": "  ", "target": "y"}]}, "terms.0.source"),
        ({"name": "x", "terms": [{"target": "y"}]}, "terms.0.source"),
        ({"name": "x", "color": "red"}, "color"),
        ({"name": "x", "terms": [{"source": "a", "target": "b", "note": 1}]}, "terms.0.note"),
    ],
)
def test_create_validation(client, auth, body, param):
    response = client.post("/v3/brand-glossaries", headers=auth, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_parameter", param)


def test_patch_replaces_given_fields_and_put_replaces_all(client, auth):
    glossary = _create(client, auth)
    url = f"/v3/brand-glossaries/{glossary['id']}"
    renamed = client.patch(url, headers=auth, json={"name": "Studio"}).json()["data"]
    assert renamed["name"] == "Studio" and renamed["terms"] == glossary["terms"]
    new_terms = [{"source": "mat", "target": "esterilla", "case_sensitive": True}]
    patched = client.patch(url, headers=auth, json={"terms": new_terms}).json()["data"]
    assert patched["name"] == "Studio" and patched["terms"] == new_terms
    replaced = client.put(url, headers=auth, json={"name": "Gym"}).json()["data"]
    assert replaced["name"] == "Gym" and replaced["terms"] == []
    assert client.get(url, headers=auth).json()["data"]["name"] == "Gym"


def test_delete(client, auth):
    glossary = _create(client, auth)
    url = f"/v3/brand-glossaries/{glossary['id']}"
    assert client.delete(url, headers=auth).json() == {
        "data": {"id": glossary["id"], "deleted": True}
    }
    response = client.get(url, headers=auth)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("token_param", ["token", "next_token"])  # HeyGen's, Polydub's old
def test_list_pages_newest_first(client, auth, make_key, token_param):
    ids = [_create(client, auth, name=f"g{i}")["id"] for i in range(5)]
    _create(client, {"x-api-key": make_key("other")}, name="not mine")
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": 2, **({token_param: token} if token else {})}
        body = client.get("/v3/brand-glossaries", headers=auth, params=params).json()
        pages += 1
        seen += [g["id"] for g in body["data"]]
        if not body["has_more"]:
            assert body["next_token"] is None
            break
        token = body["next_token"]
    assert pages == 3
    assert seen == list(reversed(ids))


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"next_token": "garbage!"}, {"token": "garbage!"}]
)
def test_list_rejects_bad_paging(client, auth, params):
    response = client.get("/v3/brand-glossaries", headers=auth, params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_other_keys_glossaries_are_invisible(client, auth, make_key):
    glossary = _create(client, auth)
    other = {"x-api-key": make_key("other")}
    url = f"/v3/brand-glossaries/{glossary['id']}"
    assert client.get(url, headers=other).status_code == 404
    assert client.patch(url, headers=other, json={"name": "mine"}).status_code == 404
    assert client.delete(url, headers=other).status_code == 404
    assert client.get("/v3/brand-glossaries", headers=other).json()["data"] == []
    assert client.get(url, headers=auth).json()["data"]["name"] == "Pilates"


def test_load_glossary_gives_the_pipeline_its_terms(client, auth, app):
    glossary = _create(client, auth)
    with app.state.context.db.session() as session:
        owner_id = find_key(session, auth["x-api-key"]).id
        loaded = load_glossary(session, owner_id, glossary["id"])
        assert isinstance(loaded, Glossary)
        assert loaded.as_dict() == {"Reformer": "Reformer", "sign-up": "registro"}
        with pytest.raises(NotFoundError) as missing:
            load_glossary(session, "someone-else", glossary["id"])
        assert (missing.value.http_status, missing.value.code, missing.value.param) == (
            404,
            "not_found",
            "brand_glossary_id",
        )
