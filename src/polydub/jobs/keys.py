"""API keys: random 256-bit secrets, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.jobs.models import ApiKey, utcnow

KEY_PREFIX = "pd_"
# Touched on every revocation: API processes sharing the data directory drop their cached
# keys when its modification time changes (api/auth_cache.py), so a revoked key fails at once.
REVOCATION_STAMP = "keys.revoked"


def hash_key(secret: str) -> str:
    # A fast hash is right here: keys are high-entropy random tokens, not passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the secret, which is shown once and never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(secret))
    session.add(row)
    session.flush()
    return row, secret


def find_key(session: Session, secret: str) -> ApiKey | None:
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
    if row is None or row.revoked_at is not None:
        return None
    return row


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, revoked ones too, oldest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(session: Session, key_id: str) -> ApiKey | None:
    """Mark a key revoked (kept, so its jobs keep their owner); None when no such key.
    Revoking a revoked key keeps its first revocation time."""
    row = session.get(ApiKey, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def stamp_revocation(data_dir: Path) -> None:
    """Tell API processes on this machine that a key was revoked (see REVOCATION_STAMP)."""
    path = data_dir / REVOCATION_STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(utcnow().isoformat())
