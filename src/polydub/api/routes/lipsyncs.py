"""/v3/lipsyncs: HeyGen's Lip Sync API (create, get, list, delete): the lip-sync engine alone,
on the user's video and the user's own audio."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session

from polydub.api.deps import ContextDep, CurrentKey, SessionDep, read_in_thread
from polydub.api.errors import invalid, not_found
from polydub.api.pagination import (
    PageToken,
    PageTokenAlias,
    newest_first_page,
    token_param,
    unix,
)
from polydub.api.schemas.common import DataEnvelope, UpdateTitleRequest, report_warnings
from polydub.api.schemas.lipsyncs import (
    CreateLipsyncRequest,
    LipsyncCreated,
    LipsyncDeleted,
    LipsyncList,
    LipsyncPublic,
)
from polydub.jobs.heygen_requests import spec_from_request
from polydub.jobs.inputs import check_callback_url, check_ref
from polydub.jobs.lifecycle import LIPSYNCS
from polydub.jobs.models import Asset, Batch, Lipsync
from polydub.storage.signed_urls import context_file_url

router = APIRouter(prefix="/v3/lipsyncs", tags=["Lipsync"])

# What each input may be: a video's picture is what gets redrawn; the audio may come in a video.
INPUT_KINDS = {"video": ("video",), "audio": ("audio", "video")}


@router.post("", response_model=DataEnvelope[LipsyncCreated])
def create_lipsync(
    body: CreateLipsyncRequest, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Redraw the speaker's mouth in `video` to follow `audio`; returns the job's id."""
    row = add_lipsync(context, session, key.id, body)
    session.commit()  # the executor reads these rows from its own session
    if context.executor is not None:
        context.executor.submit(row.id)
    return {"data": {"lipsync_id": row.id}}


def add_lipsync(context, session: Session, owner_id: str, body: CreateLipsyncRequest) -> Lipsync:
    """A create request's job (its batch has its id), added to `session` (not committed): the
    single create and every item of a bulk create go through here.

    Raises:
        PolydubError: before anything is added, for what the job would fail on.
    """
    validate_request(context, session, owner_id, body)
    spec = spec_from_request("lipsync", body.model_dump(mode="json"))
    batch = Batch(owner_id=owner_id, kind="lipsync", request=spec.model_dump(mode="json"))
    session.add(batch)
    session.flush()
    row = Lipsync(
        id=batch.id,
        owner_id=owner_id,
        title=body.title,
        folder_id=body.folder_id,
        mode=body.mode.value,
        callback_url=body.callback_url,
        callback_id=body.callback_id,
    )
    session.add(row)
    session.flush()
    return row


def validate_request(context, session: Session, owner_id: str, body: CreateLipsyncRequest) -> None:
    """Refuse, before any job exists, what the job would fail on."""
    problem = body.range_problem()
    if problem is not None:
        raise invalid(problem[1], param=problem[0])
    allow_private = context.settings.allow_private_urls
    for param, kinds in INPUT_KINDS.items():
        ref = getattr(body, param).model_dump()
        check_ref(session, owner_id, ref, param, allow_private=allow_private)
        if ref["type"] == "asset_id":
            asset = session.get(Asset, ref["asset_id"])
            if asset.kind not in kinds:
                raise invalid(
                    f"asset {asset.id!r} is {asset.kind}, not {' or '.join(kinds)}",
                    param=f"{param}.asset_id",
                )
    check_callback_url(body.callback_url, allow_private=allow_private)


@router.get("", response_model=LipsyncList)
def list_lipsyncs(
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    token: PageToken = None,
    next_token: PageTokenAlias = None,
) -> dict:
    """The caller's lip syncs, newest first; pass the answer's next_token as `token` to get
    the next page."""
    query = select(Lipsync).where(Lipsync.owner_id == key.id)
    cursor, param = token_param(token, next_token)
    page, has_more, after = newest_first_page(session, query, Lipsync, limit, cursor, param=param)
    return {
        "data": [public_model(context, row).model_dump() for row in page],
        "has_more": has_more,
        "next_token": after,
    }


PublicEnvelope = DataEnvelope[LipsyncPublic]


@router.get("/{lipsync_id}", response_model=PublicEnvelope)
async def read_lipsync(lipsync_id: str, key: CurrentKey, context: ContextDep) -> Response:
    """A lip sync's status, progress, output URLs and sync report."""
    row = await read_in_thread(context, owned_lipsync_row, key.id, lipsync_id)
    body = PublicEnvelope(data=public_model(context, row)).model_dump_json()
    return Response(body, media_type="application/json")


@router.patch("/{lipsync_id}", response_model=PublicEnvelope)
def update_lipsync(
    lipsync_id: str,
    body: UpdateTitleRequest,
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
) -> dict:
    """Change a lip sync's display title; answers the lip sync."""
    row = owned_lipsync(session, key.id, lipsync_id)
    row.title = body.title
    session.commit()
    return {"data": public_model(context, row).model_dump()}


@router.delete("/{lipsync_id}", response_model=DataEnvelope[LipsyncDeleted])
def delete_lipsync(
    lipsync_id: str, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Delete a lip sync: a queued or running job is cancelled and its files are removed."""
    row = owned_lipsync(session, key.id, lipsync_id)
    if context.executor is not None:
        context.executor.cancel(row.id)  # stops inside its running stage
    session.delete(row)
    batch = session.get(Batch, lipsync_id)
    if batch is not None:
        session.delete(batch)
    session.commit()
    context.blobs.delete_prefix(LIPSYNCS.blob_prefix(row.id))
    return {"data": {"id": row.id, "deleted": True}}


def owned_lipsync(session: Session, owner_id: str, lipsync_id: str) -> Lipsync:
    """The caller's lip sync; another key's rows are as absent as missing ones."""
    row = session.get(Lipsync, lipsync_id)
    if row is None or row.owner_id != owner_id:
        raise not_found("Lipsync", param="lipsync_id")
    return row


def owned_lipsync_row(connection: Connection, owner_id: str, lipsync_id: str) -> Row:
    """The caller's lip sync as one Core query; another key's rows are as absent as missing."""
    table = Lipsync.__table__
    row = connection.execute(select(table).where(table.c.id == lipsync_id)).first()
    if row is None or row.owner_id != owner_id:
        raise not_found("Lipsync", param="lipsync_id")
    return row


def public_model(context, row: Lipsync | Row) -> LipsyncPublic:
    return LipsyncPublic(
        id=row.id,
        title=row.title,
        status=row.status,
        progress=round(row.progress or 0.0, 4),
        mode=row.mode,
        video_url=context_file_url(context, row.video_key),
        caption_url=context_file_url(context, row.srt_key),
        vtt_caption_url=context_file_url(context, row.vtt_key),
        duration=row.duration,
        failure_message=row.failure_message,
        callback_id=row.callback_id,
        folder_id=row.folder_id,
        created_at=unix(row.created_at),
        completed_at=unix(row.completed_at),
        report=row.report,
        warnings=report_warnings(row.report),
    )
