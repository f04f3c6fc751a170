"""`polydub serve` and `polydub keys create | list | revoke`: the service's entrypoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from polydub.config import Settings, check_secrets
from polydub.errors import NotFoundError

if TYPE_CHECKING:
    from polydub.jobs.db import Database


def serve(settings: Settings, *, host: str, port: int, log_level: str = "info") -> None:
    """Run the API (and its job workers) under uvicorn until interrupted."""
    import uvicorn

    from polydub.api.app import create_app
    from polydub.logging_setup import configure_logging

    check_secrets(settings)
    configure_logging(log_level, settings.log_format)
    app = create_app(settings)
    # One process: the job executor lives in it, so uvicorn must not fork workers. Its own
    # loggers go through our handler (log_config=None); the access log is ours (request ids).
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, log_config=None)


def create_api_key(settings: Settings, name: str) -> tuple[str, str]:
    """Create a key in the service's database; returns (key id, secret)."""
    from polydub.jobs.keys import create_key

    with _database(settings) as db, db.session() as session:
        row, secret = create_key(session, name)
        return row.id, secret


@dataclass(frozen=True)
class KeyInfo:
    """What `keys list` shows of a key (never its secret, which is not stored)."""

    id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


def list_api_keys(settings: Settings) -> list[KeyInfo]:
    """Every key in the service's database, revoked ones too, oldest first."""
    from polydub.jobs.keys import list_keys

    with _database(settings) as db, db.session() as session:
        return [KeyInfo(k.id, k.name, k.created_at, k.revoked_at) for k in list_keys(session)]


def revoke_api_key(settings: Settings, key_id: str) -> KeyInfo:
    """Revoke a key: the API refuses it (401) from the next request on, on this machine.
    Raises NotFoundError for an unknown id."""
    from polydub.jobs.keys import revoke_key, stamp_revocation

    with _database(settings) as db, db.session() as session:
        row = revoke_key(session, key_id)
        if row is None:
            raise NotFoundError(f"no key {key_id!r} (see `polydub keys list`)", param="key_id")
        info = KeyInfo(row.id, row.name, row.created_at, row.revoked_at)
    stamp_revocation(settings.data_dir)
    return info


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    """The service's database, migrated, disposed of on exit (CLI commands are short-lived)."""
    from polydub.jobs.db import Database

    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        yield db
    finally:
        db.engine.dispose()
