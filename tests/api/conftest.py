"""Shared API fixtures: an app on a fresh SQLite data dir (no executor, so no dubbing runs),
a TestClient and API keys. Helpers append fixtures here; keep existing ones unchanged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key


@pytest.fixture
def api_settings(tmp_path) -> Settings:
    """Settings on a temporary data dir; loopback URLs allowed (tests serve files locally)."""
    return Settings(data_dir=tmp_path / "data", allow_private_urls=True)


@pytest.fixture
def app(api_settings):
    return create_app(api_settings, start_executor=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_key(app):
    """Create an API key; returns its secret."""

    def _make(name: str = "test") -> str:
        with app.state.context.db.session() as session:
            _, secret = create_key(session, name)
        return secret

    return _make


@pytest.fixture
def api_key(make_key) -> str:
    return make_key("primary")


@pytest.fixture
def auth(api_key) -> dict[str, str]:
    """Headers authenticating as `api_key`."""
    return {"x-api-key": api_key}
