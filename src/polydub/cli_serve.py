"""`polydub serve` and `polydub keys create`: the service's entrypoints."""

from __future__ import annotations

import logging

from polydub.config import Settings


def serve(settings: Settings, *, host: str, port: int, log_level: str = "info") -> None:
    """Run the API (and its job workers) under uvicorn until interrupted."""
    import uvicorn

    from polydub.api.app import create_app

    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app = create_app(settings)
    # One process: the job executor lives in it, so uvicorn must not fork workers.
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


def create_api_key(settings: Settings, name: str) -> tuple[str, str]:
    """Create a key in the service's database; returns (key id, secret)."""
    from polydub.jobs.db import Database
    from polydub.jobs.keys import create_key

    db = Database(settings.resolved_database_url)
    db.migrate()
    try:
        with db.session() as session:
            row, secret = create_key(session, name)
            key_id = row.id
    finally:
        db.engine.dispose()
    return key_id, secret
