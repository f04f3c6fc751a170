"""What the API process holds for its lifetime: settings, database, blob store, executor."""

from __future__ import annotations

import secrets
import threading
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
        return settings.signing_secret.get_secret_value()
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

    @property
    def engines(self):
        """The process's EngineSet, built on first use and reused by every request and job.

        Models take seconds to load; building them once per process is what keeps request
        checks and jobs fast. (Tests put a ready set in `extras["engines"]`.) When the pulled
        models' registry changes (`polydub models pull` or `remove`, run while the service
        is up), the set is refreshed: languages and new jobs see the change, no restart.
        """
        from polydub.engines.models.store import registry_stamp

        stamp = registry_stamp(self.settings.models_dir)
        engines = self.extras.get("engines")
        if engines is None or self.extras.get("engines_stamp", stamp) != stamp:
            with _ENGINES_LOCK:
                engines = self.extras.get("engines")
                if engines is None:
                    from polydub.pipeline.engine_set import EngineSet

                    engines = EngineSet(self.settings)
                elif self.extras.get("engines_stamp", stamp) != stamp:
                    engines = engines.refreshed()
                _ = engines.pulled  # the registry as read now: what refreshing compares
                self.extras["engines"] = engines
                self.extras["engines_stamp"] = stamp
        return engines


_ENGINES_LOCK = threading.Lock()
