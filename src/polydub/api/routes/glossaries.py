"""Brand glossaries: create, list, read, update and delete (jobs.glossaries hands one to the
translation pipeline when a request names it by `brand_glossary_id` or `brand_voice_id`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.api.deps import CurrentKey, SessionDep
from polydub.api.errors import not_found
from polydub.api.pagination import as_utc, newest_first_page
from polydub.api.schemas.common import DataEnvelope
from polydub.api.schemas.glossaries import (
    GlossaryCreate,
    GlossaryDeleted,
    GlossaryList,
    GlossaryPublic,
    GlossaryTermIn,
    GlossaryUpdate,
)
from polydub.jobs.models import Glossary

router = APIRouter(prefix="/v3/brand-glossaries", tags=["Brand"])


def _public(row: Glossary) -> GlossaryPublic:
    return GlossaryPublic(
        brand_glossary_id=row.id,
        id=row.id,
        name=row.name,
        terms=[GlossaryTermIn(**term) for term in row.terms],
        created_at=as_utc(row.created_at).isoformat(timespec="seconds"),
        updated_at=as_utc(row.updated_at).isoformat(timespec="seconds"),
    )


def _owned(session: Session, owner_id: str, glossary_id: str, param: str) -> Glossary:
    row = session.get(Glossary, glossary_id)
    if row is None or row.owner_id != owner_id:
        raise not_found("brand glossary", param)
    return row


@router.post("")
def create_glossary(
    glossary_in: GlossaryCreate, key: CurrentKey, session: SessionDep
) -> DataEnvelope[GlossaryPublic]:
    """Create a brand glossary of terms to translate consistently."""
    row = Glossary(
        owner_id=key.id,
        name=glossary_in.name,
        terms=[term.model_dump() for term in glossary_in.terms],
    )
    session.add(row)
    session.commit()  # in this worker thread, not in the dependency's exit on the event loop
    return DataEnvelope(data=_public(row))


@router.get("")
def list_glossaries(
    key: CurrentKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    token: Annotated[str | None, Query(max_length=500)] = None,
    next_token: Annotated[
        str | None, Query(max_length=500, description="Polydub's earlier name for `token`")
    ] = None,
) -> GlossaryList:
    """The caller's brand glossaries, newest first, a page at a time (HeyGen's clients send
    the previous page's `next_token` back as `token`)."""
    query = select(Glossary).where(Glossary.owner_id == key.id)
    page, has_more, following = newest_first_page(
        session, query, Glossary, limit, token or next_token
    )
    return GlossaryList(
        data=[_public(row) for row in page], has_more=has_more, next_token=following
    )


@router.get("/{glossary_id}")
def read_glossary(
    glossary_id: str, key: CurrentKey, session: SessionDep
) -> DataEnvelope[GlossaryPublic]:
    """A brand glossary and its terms."""
    return DataEnvelope(data=_public(_owned(session, key.id, glossary_id, "glossary_id")))


def _apply_update(row: Glossary, update: GlossaryUpdate) -> None:
    if update.name is not None:
        row.name = update.name
    if update.terms is not None:
        row.terms = [term.model_dump() for term in update.terms]
    # Touch the row even when nothing changed so updated_at says a write happened.
    row.updated_at = datetime.now(UTC)


@router.patch("/{glossary_id}")
def update_glossary(
    glossary_id: str, glossary_in: GlossaryUpdate, key: CurrentKey, session: SessionDep
) -> DataEnvelope[GlossaryPublic]:
    """Replace a glossary's name and/or its whole list of terms (fields left out are kept)."""
    row = _owned(session, key.id, glossary_id, "glossary_id")
    _apply_update(row, glossary_in)
    session.commit()
    return DataEnvelope(data=_public(row))


@router.put("/{glossary_id}")
def replace_glossary(
    glossary_id: str, glossary_in: GlossaryCreate, key: CurrentKey, session: SessionDep
) -> DataEnvelope[GlossaryPublic]:
    """Replace a glossary: its name and terms become exactly those sent."""
    row = _owned(session, key.id, glossary_id, "glossary_id")
    _apply_update(row, GlossaryUpdate(name=glossary_in.name, terms=glossary_in.terms))
    session.commit()
    return DataEnvelope(data=_public(row))


@router.delete("/{glossary_id}")
def delete_glossary(
    glossary_id: str, key: CurrentKey, session: SessionDep
) -> DataEnvelope[GlossaryDeleted]:
    """Delete a brand glossary."""
    row = _owned(session, key.id, glossary_id, "glossary_id")
    session.delete(row)
    session.commit()
    return DataEnvelope(data=GlossaryDeleted(id=row.id))
