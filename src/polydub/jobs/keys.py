"""API keys: random 256-bit secrets, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.jobs.models import ApiKey

KEY_PREFIX = "pd_"


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
