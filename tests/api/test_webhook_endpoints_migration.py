"""Migration 0010 on a database holding deliveries: they become callback_url deliveries, one
event may then go to several destinations, and the downgrade restores one per event."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from alembic.config import Config
from databases import fresh_postgres_database
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from polydub.jobs import db as jobs_db
from polydub.jobs.db import Database

MIGRATIONS = jobs_db.__file__.removesuffix("db.py") + "migrations"

INSERT = text(
    "INSERT INTO webhook_deliveries (id, owner_id, event_type, entity_kind, entity_id, url, "
    "body, status, attempts, next_attempt_at, created_at{extra}) VALUES (:id, 'k', "
    "'video_translate.fail', 'translation', 't', 'http://h', '{{}}', 'delivered', 1, "
    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP{values})"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'polydub.db'}"
        return
    with fresh_postgres_database("polydub_mig10") as url:
        yield url


def insert(connection, row_id: str, destination: str | None = None) -> None:
    extra, values = (", destination", ", :destination") if destination else ("", "")
    params = {"id": row_id, **({"destination": destination} if destination else {})}
    connection.execute(text(INSERT.text.format(extra=extra, values=values)), params)


def migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_deliveries_before_endpoints_are_callback_deliveries(database_url):
    db = Database(database_url)
    try:
        migrate(db, "0006")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO api_keys (id, name, key_hash, created_at) "
                    "VALUES ('k', 'k', 'h', CURRENT_TIMESTAMP)"
                )
            )
            insert(connection, "old")
        migrate(db, "0010")
        with db.engine.begin() as connection:
            destination = connection.execute(
                text("SELECT destination FROM webhook_deliveries WHERE id = 'old'")
            ).scalar_one()
            assert destination == "callback"
            insert(connection, "to-endpoint", destination=uuid.uuid4().hex)
        with pytest.raises(IntegrityError):  # still once per event and destination
            with db.engine.begin() as connection:
                insert(connection, "again", destination="callback")
        migrate(db, "0006", down=True)
        with db.engine.connect() as connection:
            ids = connection.execute(text("SELECT id FROM webhook_deliveries")).scalars().all()
        assert ids == ["old"]  # endpoint deliveries go with their endpoints
        with pytest.raises(IntegrityError):  # one per event again
            with db.engine.begin() as connection:
                insert(connection, "again")
    finally:
        db.engine.dispose()
