"""Migration 0003 builds webhook_deliveries exactly as the model declares it, on SQLite and
on PostgreSQL, and its downgrade removes it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from polydub.jobs import db as jobs_db
from polydub.jobs.db import Database
from polydub.jobs.models import Base

MIGRATIONS = Path(jobs_db.__file__).parent / "migrations"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'polydub.db'}"
        return
    import psycopg

    name = f"polydub_mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
