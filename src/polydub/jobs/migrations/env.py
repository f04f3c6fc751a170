"""Alembic environment: runs on the connection `polydub.jobs.db.migrate` hands it."""

from __future__ import annotations

from alembic import context

from polydub.jobs.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through polydub.jobs.db.migrate")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
