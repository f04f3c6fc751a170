"""What the API process holds for its lifetime: settings, database, blob store, executor."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from polydub.config import Settings
from polydub.jobs.db import Database
from polydub.storage import open_blob_store
from polydub.storage.local import LocalBlobStore
from polydub.storage.s3 import S3BlobStore


def signing_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept in the data directory."""
    if settings.signing_secret:
        return settings.signing_secret
    path: Path = settings.data_dir / "signing.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.replace(path)
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    blobs: LocalBlobStore | S3BlobStore  # POLYDUB_STORAGE_URL picks
    secret: str
    executor: object | None = None  # polydub.jobs.executor.Executor, set at startup
    extras: dict = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings) -> ServiceContext:
        db = Database(settings.resolved_database_url)
        db.migrate()
        blobs = open_blob_store(settings)
        return cls(settings=settings, db=db, blobs=blobs, secret=signing_secret(settings))
