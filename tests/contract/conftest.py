"""Contract fixtures: the real app, in process, on SQLite and on PostgreSQL (one app per
database and module, a fresh key per test so tests see only their own rows), and the
session's engines so requests are checked against the real catalog."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from databases import fresh_postgres_database
from fastapi.testclient import TestClient

from polydub.api.app import create_app
from polydub.config import Settings
from polydub.jobs.keys import create_key


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('contract-db') / 'polydub.db'}"
        return
    with fresh_postgres_database("polydub_contract") as url:
        yield url


@pytest.fixture(scope="module")
def app(database_url, tmp_path_factory, engines):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("contract-data"),
        database_url=database_url,
        allow_private_urls=True,  # inputs are served from this machine
    )
    application = create_app(settings, start_executor=False)
    application.state.context.extras["engines"] = engines
    yield application
    application.state.context.db.engine.dispose()


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_key(app):
    """Create an API key; returns its authentication headers."""

    def _make(name: str = "contract") -> dict[str, str]:
        with app.state.context.db.session() as session:
            _, secret = create_key(session, name)
        return {"x-api-key": secret}

    return _make


@pytest.fixture
def auth(make_key) -> dict[str, str]:
    return make_key("primary")
