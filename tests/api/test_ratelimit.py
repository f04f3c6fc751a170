"""Per-key rate limits: 429 rate_limit_exceeded with an integer Retry-After."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from polydub.api.app import create_app
from polydub.api.ratelimit import TokenBucketLimiter, retry_after_header
from polydub.config import Settings
from polydub.jobs.keys import create_key


@pytest.fixture
def limited(tmp_path):
    """An app allowing 5 requests a minute per key, and two keys."""
    app = create_app(
        Settings(data_dir=tmp_path / "data", rate_limit_per_minute=5), start_executor=False
    )
    with app.state.context.db.session() as session:
        secrets = [create_key(session, name)[1] for name in ("one", "two")]
    with TestClient(app) as client:
        yield client, [{"x-api-key": s} for s in secrets]


def test_sixth_request_in_a_minute_is_refused(limited):
    client, (one, two) = limited
    for _ in range(5):
        assert client.get("/v3/brand-glossaries", headers=one).status_code == 200
    refused = client.get("/v3/brand-glossaries", headers=one)
    assert refused.status_code == 429
    assert refused.json() == {
        "error": {
            "code": "rate_limit_exceeded",
            "message": "Too many requests. Retry after the duration specified in the "
            "Retry-After header.",
            "param": None,
            "doc_url": None,
        }
    }
    # 5 a minute refills one token every 12 s.
    assert 1 <= int(refused.headers["Retry-After"]) <= 12
    # Limits are per key: the other key still has its whole bucket.
    assert client.get("/v3/brand-glossaries", headers=two).status_code == 200


def test_limit_counts_bearer_and_x_api_key_as_one_key(limited):
    client, (one, _) = limited
    bearer = {"Authorization": "Bearer " + one["x-api-key"]}
    for headers in (one, bearer, one, bearer, one):
        assert client.get("/v3/brand-glossaries", headers=headers).status_code == 200
    assert client.get("/v3/brand-glossaries", headers=bearer).status_code == 429


def test_bad_keys_get_401_not_429(limited):
    client, _ = limited
    for _ in range(8):
        response = client.get("/v3/brand-glossaries", headers={"x-api-key": "pd_wrong"})
        assert response.status_code == 401


def test_token_bucket_refills_over_time():
    now = [1000.0]
    limiter = TokenBucketLimiter(60, clock=lambda: now[0])  # one token a second
    assert all(limiter.acquire("k") == 0 for _ in range(60))
    wait = limiter.acquire("k")
    assert wait == pytest.approx(1.0)
    now[0] += 0.5
    assert limiter.acquire("k") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.acquire("k") == 0
    assert limiter.acquire("other") == 0


def test_bucket_never_holds_more_than_its_capacity():
    now = [0.0]
    limiter = TokenBucketLimiter(3, clock=lambda: now[0])
    now[0] += 3600  # an hour idle does not bank an hour of tokens
    assert [limiter.acquire("k") == 0 for _ in range(4)] == [True, True, True, False]


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (11.9, "12")])
def test_retry_after_is_whole_seconds_rounded_up(wait, header):
    assert retry_after_header(wait) == header
