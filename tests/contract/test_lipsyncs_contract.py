"""/v3/lipsyncs against HeyGen's own schemas: every answer of the real app (SQLite and
PostgreSQL) passes check_response, and bad input gets the error envelope.

Endpoints: create, get (caption_url a string), list (paged with `token`), PATCH, DELETE,
statuses, batches (create and get, Idempotency-Key).
"""

from __future__ import annotations

import pytest
from heygen_schema import check_request, check_response, path_for

CREATE = "POST /v3/lipsyncs"
GET = "GET /v3/lipsyncs/{lipsync_id}"
LIST = "GET /v3/lipsyncs"
PATCH = "PATCH /v3/lipsyncs/{lipsync_id}"
DELETE = "DELETE /v3/lipsyncs/{lipsync_id}"
STATUSES = "GET /v3/lipsyncs/statuses"
BATCH_CREATE = "POST /v3/lipsyncs/batches"
BATCH_GET = "GET /v3/lipsyncs/batches/{batch_id}"

VIDEO = {"type": "url", "url": "http://127.0.0.1:9/talk.mp4"}
AUDIO = {"type": "url", "url": "http://127.0.0.1:9/speech.wav"}


def payload(**fields) -> dict:
    return {"video": VIDEO, "audio": AUDIO, **fields}


def create(client, auth, **fields) -> str:
    body = payload(**fields)
    check_request(CREATE, body)
    response = client.post("/v3/lipsyncs", json=body, headers=auth)
    assert response.status_code == 200, response.text
    check_response(CREATE, response.json())
    return response.json()["data"]["lipsync_id"]


def error_of(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_get_has_heygens_fields(client, auth):
    lipsync_id = create(client, auth, title="Fix", callback_id="c-9", mode="precision")
    response = client.get(path_for(GET, lipsync_id=lipsync_id), headers=auth)
    check_response(GET, response.json())
    data = response.json()["data"]
    assert data["status"] == "pending" and data["title"] == "Fix"
    assert data["callback_id"] == "c-9" and isinstance(data["created_at"], int)
    assert data["caption_url"] is None and data["video_url"] is None


def test_list_pages_with_token(client, make_key):
    auth = make_key("pager")
    ids = [create(client, auth) for _ in range(3)]
    first = client.get("/v3/lipsyncs", params={"limit": 2}, headers=auth).json()
    check_response(LIST, first)
    second = client.get(
        "/v3/lipsyncs", params={"limit": 2, "token": first["next_token"]}, headers=auth
    ).json()
    check_response(LIST, second)
    assert first["has_more"] is True and second["has_more"] is False
    assert sorted(r["id"] for r in first["data"] + second["data"]) == sorted(ids)
    bad = client.get("/v3/lipsyncs", params={"token": "nope"}, headers=auth)
    assert error_of(bad)["param"] == "token"


def test_patch_title(client, auth, make_key):
    lipsync_id = create(client, auth, title="Old")
    path = path_for(PATCH, lipsync_id=lipsync_id)
    check_request(PATCH, {"title": "New"})
    response = client.patch(path, json={"title": "New"}, headers=auth)
    assert response.status_code == 200, response.text
    check_response(PATCH, response.json())
    assert client.get(path, headers=auth).json()["data"]["title"] == "New"
    assert error_of(client.patch(path, json={"title": 1}, headers=auth))["param"] == "title"
    assert error_of(client.patch(path, json={}, headers=auth))["param"] == "title"
    other = make_key("other")
    assert error_of(client.patch(path, json={"title": "x"}, headers=other), 404)["code"] == (
        "not_found"
    )
    missing = path_for(PATCH, lipsync_id="nope")
    assert client.patch(missing, json={"title": "x"}, headers=auth).status_code == 404


def test_delete(client, auth):
    lipsync_id = create(client, auth)
    response = client.delete(path_for(DELETE, lipsync_id=lipsync_id), headers=auth)
    check_response(DELETE, response.json())
    assert client.get(path_for(GET, lipsync_id=lipsync_id), headers=auth).status_code == 404


def test_statuses(client, auth):
    first, second = create(client, auth), create(client, auth)
    response = client.get(
        "/v3/lipsyncs/statuses",
        params={"lipsync_ids": f"{first},gone,{second}"},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    check_response(STATUSES, response.json())
    assert [(e["video_id"], e["status"]) for e in response.json()["data"]] == [
        (first, "queued"),
        ("gone", "not_found"),
        (second, "queued"),
    ]
    unknown_batch = client.get(
        "/v3/lipsyncs/statuses", params={"batch_ids": "nope"}, headers=auth
    ).json()
    check_response(STATUSES, unknown_batch)
    assert unknown_batch["data"] == [
        {
            "video_id": None,
            "status": "not_found",
            "error": None,
            "batch_id": "nope",
            "item_index": None,
        }
    ]
    assert error_of(client.get("/v3/lipsyncs/statuses", headers=auth))["param"] == "lipsync_ids"


def test_batch_items_fail_alone_and_report_per_item(client, auth):
    body = {
        "title": "Dialogue",
        "lipsyncs": [payload(title="ok"), payload(audio=None), payload(start_time=5, end_time=2)],
    }
    check_request(BATCH_CREATE, {**body, "lipsyncs": body["lipsyncs"][:1]})
    response = client.post("/v3/lipsyncs/batches", json=body, headers=auth)
    assert response.status_code == 202, response.text
    check_response(BATCH_GET, response.json())
    data = response.json()["data"]
    assert data["total_items"] == 3 and data["status"] == "processing"
    statuses = [(i["item_index"], i["status"]) for i in data["items"]]
    assert statuses == [(0, "queued"), (1, "failed"), (2, "failed")]
    assert data["items"][1]["error"]["param"] == "audio"
    assert data["items"][2]["error"]["param"] == "end_time"
    lipsync_id = data["items"][0]["video_id"]
    got = client.get(path_for(GET, lipsync_id=lipsync_id), headers=auth).json()["data"]
    assert got["title"] == "ok"

    again = client.get(path_for(BATCH_GET, batch_id=data["batch_id"]), headers=auth)
    check_response(BATCH_GET, again.json())
    by_batch = client.get(
        "/v3/lipsyncs/statuses", params={"batch_ids": data["batch_id"]}, headers=auth
    ).json()
    check_response(STATUSES, by_batch)
    assert [(e["item_index"], e["status"]) for e in by_batch["data"]] == statuses
    # Deleting an item's job leaves the item, failed, in its batch.
    client.delete(path_for(DELETE, lipsync_id=lipsync_id), headers=auth)
    after = client.get(path_for(BATCH_GET, batch_id=data["batch_id"]), headers=auth).json()
    check_response(BATCH_GET, after)
    assert after["data"]["status"] == "failed"
    assert after["data"]["items"][0]["error"]["code"] == "not_found"


def test_batch_idempotency_key(client, auth):
    headers = {**auth, "Idempotency-Key": "lipsync-batch-1"}
    body = {"lipsyncs": [payload()]}
    first = client.post("/v3/lipsyncs/batches", json=body, headers=headers).json()["data"]
    second = client.post("/v3/lipsyncs/batches", json=body, headers=headers).json()["data"]
    assert first["batch_id"] == second["batch_id"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"lipsyncs": []}, "lipsyncs"),
        ({"lipsyncs": [payload()] * 101}, "lipsyncs"),
        ({"lipsyncs": [payload()], "title": ["a"]}, "title"),
        ({"video_translations": [payload()]}, "lipsyncs"),
    ],
)
def test_batch_refuses_a_bad_envelope(client, auth, body, param):
    response = client.post("/v3/lipsyncs/batches", json=body, headers=auth)
    assert error_of(response)["param"] == param
    assert client.get("/v3/lipsyncs/batches/nope", headers=auth).status_code == 404
