"""Keyset pagination tokens for newest-first lists, and UTC times as the API shows them."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from polydub.api.errors import invalid

# HeyGen's clients page with `token` (the previous answer's next_token); `next_token` as a query
# parameter is Polydub's older name, still accepted.
PageToken = Annotated[str | None, Query(description="next_token of the previous page")]
PageTokenAlias = Annotated[str | None, Query(include_in_schema=False)]


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def unix(moment: datetime | None) -> int | None:
    return None if moment is None else int(as_utc(moment).timestamp())


def encode_token(created_at: datetime, row_id: str) -> str:
    """An opaque `next_token`: where the next page starts (creation time, then id)."""
    raw = json.dumps([as_utc(created_at).isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, param: str = "next_token") -> tuple[datetime, str]:
    """The position a `next_token` names; 400 invalid_parameter (naming `param`, the query
    parameter it came in) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        created, row_id = json.loads(raw)
        return as_utc(datetime.fromisoformat(created)), str(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise invalid(f"{param} is not a token this API returned", param) from exc


def newest_first_page(
    session: Session,
    query: Select,
    model,
    limit: int,
    next_token: str | None,
    *,
    param: str = "next_token",
) -> tuple[list, bool, str | None]:
    """One page of `query` over `model` (which has created_at and id), newest first, from
    `next_token` (which came in query parameter `param`).

    Returns the rows, whether more follow, and the token of the next page.
    """
    if next_token:
        created, last_id = decode_token(next_token, param)
        query = query.where(
            or_(model.created_at < created, and_(model.created_at == created, model.id < last_id))
        )
    query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    rows = list(session.scalars(query))
    page, has_more = rows[:limit], len(rows) > limit
    token = encode_token(page[-1].created_at, page[-1].id) if has_more else None
    return page, has_more, token


def token_param(token: str | None, next_token: str | None) -> tuple[str | None, str]:
    """The page token of a list request and the query parameter it came in: HeyGen's `token`,
    else Polydub's older `next_token`."""
    return (token, "token") if token else (next_token, "next_token")
