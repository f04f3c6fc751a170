"""HeyGen's bulk creates: POST /v3/video-translations/batches and /v3/lipsyncs/batches, and
GET .../batches/{batch_id}.

Each payload is validated and created exactly as its single create does (the same request
model, checks and job rows); a refused payload becomes a failed item with the refusal as its
error, and the others go on. Idempotency-Key works as on every mutation (api/idempotency.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from polydub.api.batch_reads import MAX_PAGE, batch_view, decode_offset
from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import ApiError, invalid, not_found, validation_message
from polydub.api.routes.lipsyncs import add_lipsync
from polydub.api.routes.video_translations import add_translations, submit
from polydub.api.schemas.common import DataEnvelope
from polydub.api.schemas.job_batches import (
    MAX_BATCH_ITEMS,
    BatchPublic,
    LipsyncBatchRequest,
    VideoTranslationBatchRequest,
)
from polydub.api.schemas.lipsyncs import CreateLipsyncRequest
from polydub.api.schemas.video_translations import CreateVideoTranslationRequest
from polydub.errors import PolydubError
from polydub.jobs.inputs import check_callback_url
from polydub.jobs.job_batches import notify_batch
from polydub.jobs.models import JobBatch, JobBatchItem
from polydub.server_paths import scrub_paths

router = APIRouter(tags=["Batches"])


@dataclass(frozen=True)
class BatchKind:
    kind: str  # "translation" | "lipsync"
    field: str  # the request field holding the payloads
    payload_model: type[BaseModel]
    # (context, session, owner, payload) -> (internal batch ids to run, job ids in item order)
    create: Callable[..., tuple[list[str], list[str]]]
    expands_to: Callable[[Any], int]  # how many items a payload may become


def _create_translation(context, session, owner_id, payload) -> tuple[list[str], list[str]]:
    batch, rows = add_translations(context, session, owner_id, payload)
    return [batch.id], [row.id for row in rows]


def _create_lipsync(context, session, owner_id, payload) -> tuple[list[str], list[str]]:
    row = add_lipsync(context, session, owner_id, payload)
    return [row.id], [row.id]


def _languages_in(payload: Any) -> int:
    languages = payload.get("output_languages") if isinstance(payload, dict) else None
    return len(languages) if isinstance(languages, list) and languages else 1


TRANSLATION_BATCHES = BatchKind(
    "translation",
    "video_translations",
    CreateVideoTranslationRequest,
    _create_translation,
    _languages_in,
)
LIPSYNC_BATCHES = BatchKind(
    "lipsync", "lipsyncs", CreateLipsyncRequest, _create_lipsync, lambda _: 1
)


@router.post(
    "/v3/video-translations/batches",
    status_code=202,
    response_model=DataEnvelope[BatchPublic],
)
def create_video_translation_batch(
    body: VideoTranslationBatchRequest, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Up to 100 translation payloads at once; a payload with several output_languages
    becomes one item per language. Poll GET /v3/video-translations/batches/{batch_id}."""
    return create_batch(TRANSLATION_BATCHES, body.video_translations, body, key, context, session)


@router.post("/v3/lipsyncs/batches", status_code=202, response_model=DataEnvelope[BatchPublic])
def create_lipsync_batch(
    body: LipsyncBatchRequest, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Up to 100 lip-sync payloads at once, one item each. Poll GET /v3/lipsyncs/batches/{id}."""
    return create_batch(LIPSYNC_BATCHES, body.lipsyncs, body, key, context, session)


def create_batch(kind: BatchKind, payloads: list, body, key, context, session: Session) -> dict:
    """Create every payload through its single create, in order, one item per job made (or
    per refused payload), commit them together, and answer the batch resource."""
    if sum(kind.expands_to(p) for p in payloads) > MAX_BATCH_ITEMS:
        raise invalid(f"a batch holds at most {MAX_BATCH_ITEMS} items", param=kind.field)
    check_callback_url(body.callback_url, allow_private=context.settings.allow_private_urls)
    batch = JobBatch(
        owner_id=key.id,
        kind=kind.kind,
        title=body.title,
        callback_url=body.callback_url,
        total_items=0,
    )
    session.add(batch)
    session.flush()
    to_run: list[str] = []
    index = 0
    for payload_index, payload in enumerate(payloads):
        job_ids, error = _create_item(kind, context, session, key.id, payload, to_run)
        for job_id in job_ids or [None]:
            session.add(
                JobBatchItem(
                    batch_id=batch.id,
                    item_index=index,
                    payload_index=payload_index,
                    job_id=job_id,
                    error=error,
                )
            )
            index += 1
    batch.total_items = index
    session.commit()  # the executor reads the jobs from its own session
    submit(context, to_run)
    notify_batch(context, batch.id)  # every payload refused: the batch is already finished
    return {"data": batch_view(session, batch, MAX_PAGE, 0)}


def _create_item(
    kind: BatchKind, context, session: Session, owner_id: str, payload, to_run: list[str]
) -> tuple[list[str], dict | None]:
    """One payload through its single create: (its job ids, None), or ([], its error)."""
    try:
        request = kind.payload_model.model_validate(payload)
    except ValidationError as exc:
        message, param = validation_message(exc.errors(), in_body=False)
        return [], item_error("invalid_parameter", message, param)
    try:
        internal, job_ids = kind.create(context, session, owner_id, request)
    except (ApiError, PolydubError) as exc:
        return [], item_error(exc.code, exc.message, exc.param)
    to_run.extend(internal)
    return job_ids, None


def item_error(code: str, message: str, param: str | None) -> dict:
    """A refused payload's error as stored and shown: no server path, and no NUL (a field
    name may carry one, which PostgreSQL cannot store)."""

    def clean(text: str | None) -> str | None:
        return None if text is None else scrub_paths(text).replace("\x00", "")

    return {"code": code, "message": clean(message), "param": clean(param)}


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")]
Token = Annotated[str | None, Query(description="next_token of the previous page")]


@router.get("/v3/video-translations/batches/{batch_id}", response_model=DataEnvelope[BatchPublic])
def read_video_translation_batch(
    batch_id: str,
    key: CurrentKey,
    session: SessionDep,
    limit: Limit = MAX_PAGE,
    token: Token = None,
) -> dict:
    """A translation batch's aggregate status and one page of its items."""
    return read_batch("translation", batch_id, key, session, limit, token)


@router.get("/v3/lipsyncs/batches/{batch_id}", response_model=DataEnvelope[BatchPublic])
def read_lipsync_batch(
    batch_id: str,
    key: CurrentKey,
    session: SessionDep,
    limit: Limit = MAX_PAGE,
    token: Token = None,
) -> dict:
    """A lip-sync batch's aggregate status and one page of its items."""
    return read_batch("lipsync", batch_id, key, session, limit, token)


def read_batch(kind: str, batch_id: str, key, session: Session, limit: int, token) -> dict:
    batch = owned_batch(session, kind, key.id, batch_id)
    return {"data": batch_view(session, batch, limit, decode_offset(token))}


def owned_batch(session: Session, kind: str, owner_id: str, batch_id: str) -> JobBatch:
    """The caller's batch of `kind`; another key's (or kind's) are as absent as missing."""
    batch = session.get(JobBatch, batch_id)
    if batch is None or batch.owner_id != owner_id or batch.kind != kind:
        raise not_found("Batch", param="batch_id")
    return batch
