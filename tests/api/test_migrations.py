"""The migrations build the schema exactly as the models declare it, on SQLite and on
PostgreSQL; 0003's downgrade removes webhook_deliveries; 0006 scrubs server paths out of
rows stored before paths were kept out of what clients read."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from databases import fresh_postgres_database
from sqlalchemy import inspect

from polydub.jobs import db as jobs_db
from polydub.jobs.db import Database
from polydub.jobs.models import Base

MIGRATIONS = Path(jobs_db.__file__).parent / "migrations"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'polydub.db'}"
        return
    with fresh_postgres_database("polydub_mig") as url:
        yield url


def webhook_table_diff(db: Database) -> list:
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [entry for entry in diff if "webhook_deliveries" in repr(entry)]


def test_migration_matches_the_model(database_url):
    db = Database(database_url)
    db.migrate()
    try:
        assert "webhook_deliveries" in inspect(db.engine).get_table_names()
        assert webhook_table_diff(db) == []
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0002")
        assert "webhook_deliveries" not in inspect(db.engine).get_table_names()
        db.migrate()  # and up again
        assert webhook_table_diff(db) == []
    finally:
        db.engine.dispose()


def test_the_schema_at_head_is_the_models(database_url):
    db = Database(database_url)
    db.migrate()
    try:
        with db.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        db.engine.dispose()


def test_rows_stored_before_scrubbing_lose_their_server_paths(tmp_path):
    from sqlalchemy import text

    db = Database(f"sqlite:///{tmp_path / 'polydub.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    report = '{"source": {"file": "/srv/polydub/inputs/ab12.mp4"}, "segments": 3}'
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, key_hash, created_at) "
                "VALUES ('k', 'k', 'h', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO batches (id, owner_id, kind, request, status, created_at) "
                "VALUES ('b', 'k', 'translation', '{}', 'failed', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO translations (id, owner_id, batch_id, status, progress, mode, "
                "output_language, output_code, cancel_requested, webhook_attempts, "
                "webhook_delivered, failure_message, report, created_at, updated_at) "
                "VALUES ('t', 'k', 'b', 'failed', 0, 'speed', 'Spanish', 'es', 0, 0, 0, "
                "'cannot decode /srv/polydub/work/ab12/source.mp4: no audio', :report, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"report": report},
        )
    db.migrate()
    try:
        with db.engine.connect() as connection:
            message, stored = connection.execute(
                text("SELECT failure_message, report FROM translations WHERE id = 't'")
            ).one()
        assert message == "cannot decode source.mp4: no audio"
        assert "/srv" not in stored and "ab12.mp4" in stored and '"segments": 3' in stored
    finally:
        db.engine.dispose()
