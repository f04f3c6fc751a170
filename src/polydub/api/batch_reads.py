"""HeyGen's batch resource as the API answers it (one page of items), and the position tokens
of lists that page by offset (batch items, bulk statuses). Item statuses come from
jobs/job_batches.py."""

from __future__ import annotations

import base64
import binascii
from collections import Counter

from sqlalchemy.orm import Session

from polydub.api.errors import invalid
from polydub.api.pagination import unix
from polydub.jobs.job_batches import aggregate_status, batch_items
from polydub.jobs.models import JobBatch

MAX_PAGE = 100


def batch_view(session: Session, batch: JobBatch, limit: int, offset: int) -> dict:
    """HeyGen's batch resource with one page of its items (from `offset`)."""
    items = batch_items(session, batch)
    page = items[offset : offset + limit]
    more = offset + limit < len(items)
    return {
        "batch_id": batch.id,
        "title": batch.title,
        "status": aggregate_status(item["status"] for item in items),
        "total_items": batch.total_items,
        "counts_by_status": dict(Counter(item["status"] for item in items)),
        "created_at": unix(batch.created_at),
        "callback_url": batch.callback_url,
        "items": page,
        "has_more": more,
        "next_token": encode_offset(offset + limit) if more else None,
    }


def encode_offset(offset: int) -> str:
    """An opaque page token for lists that page by position (batch items, bulk statuses)."""
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_offset(token: str | None, param: str = "token") -> int:
    """The position a token from encode_offset names (0 for none); 400 for anything else."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, number = raw.split(":", 1)
        offset = int(number)
        if prefix != "o" or offset < 0:
            raise ValueError(raw)
        return offset
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"{param} is not a token this API returned", param) from exc
