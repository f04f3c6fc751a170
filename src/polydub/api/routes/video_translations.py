"""/v3/video-translations: create, get, list, delete, and caption links."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session

from polydub.api.deps import ContextDep, CurrentKey, SessionDep, read_in_thread
from polydub.api.errors import invalid, not_found
from polydub.api.pagination import PageToken, PageTokenAlias, newest_first_page, token_param, unix
from polydub.api.schemas.common import DataEnvelope, UpdateTitleRequest, report_warnings
from polydub.api.schemas.video_translations import (
    CaptionLink,
    CaptionUrls,
    CreateVideoTranslationRequest,
    VideoTranslationCreated,
    VideoTranslationDeleted,
    VideoTranslationList,
    VideoTranslationPublic,
)
from polydub.domain.language import resolve_language
from polydub.jobs.glossaries import load_glossary
from polydub.jobs.heygen_requests import spec_from_request
from polydub.jobs.inputs import check_callback_url, check_ref
from polydub.jobs.lifecycle import TRANSLATIONS
from polydub.jobs.models import Batch, Translation
from polydub.jobs.spec import JobSpec
from polydub.jobs.voice_store import check_named_voices, cloned_voices
from polydub.pipeline.language_routes import check_targets
from polydub.pipeline.voices import check_voice_ids
from polydub.storage.signed_urls import context_file_url

router = APIRouter(prefix="/v3/video-translations", tags=["Video Translate"])


@router.post("", response_model=DataEnvelope[VideoTranslationCreated])
def create_video_translation(
    body: CreateVideoTranslationRequest, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Translate a video into one or more languages; returns one id per language."""
    batch, rows = add_translations(context, session, key.id, body)
    session.commit()  # the executor reads these rows from its own session
    submit(context, [batch.id])
    return {"data": {"video_translation_ids": [row.id for row in rows]}}


def add_translations(
    context, session: Session, owner_id: str, body: CreateVideoTranslationRequest
) -> tuple[Batch, list[Translation]]:
    """A create request's job rows, one per language, added to `session` (not committed):
    the single create and every item of a bulk create go through here.

    Raises:
        PolydubError: before anything is added, for what the job would fail on.
    """
    spec = translation_spec(context, session, owner_id, body)
    languages = target_languages(body.output_languages)
    batch = Batch(owner_id=owner_id, kind="translation", request=spec.model_dump(mode="json"))
    session.add(batch)
    session.flush()
    rows = [
        Translation(
            owner_id=owner_id,
            batch_id=batch.id,
            title=body.title,
            folder_id=body.folder_id,
            mode=body.mode.value,
            input_language=body.input_language,
            output_language=language.name,
            output_code=language.code,
            callback_url=body.callback_url,
            callback_id=body.callback_id,
            translate_audio_only=body.translate_audio_only,
        )
        for language in languages
    ]
    session.add_all(rows)
    session.flush()
    return batch, rows


def submit(context, batch_ids: list[str]) -> None:
    """Hand committed batches to the executor (none in an API-only process)."""
    if context.executor is not None:
        for batch_id in batch_ids:
            context.executor.submit(batch_id)


def target_languages(names: list[str]) -> list:
    """The requested languages, resolved, one per distinct name."""
    languages = {}
    for name in names:
        language = resolve_language(name)
        languages.setdefault(language.name, language)
    return list(languages.values())


def translation_spec(
    context, session: Session, owner_id: str, body: CreateVideoTranslationRequest
) -> JobSpec:
    """The job spec of a create request, refusing before any job exists what the job would
    fail on (Habit 7).

    Raises:
        PolydubError: InvalidInputError (400) or NotFoundError (404), naming the param.
    """
    problem = body.range_problem()
    if problem is not None:
        raise invalid(problem[1], param=problem[0])
    spec = spec_from_request(
        "translation",
        body.model_dump(mode="json"),
        glossary_terms=glossary_terms(session, owner_id, body.glossary_id),
    )
    check_targets(context.engines, body.output_languages, spec.source_language)
    if spec.voice_ids:
        param = "stock_voice_config.preferred_stock_voice_ids"
        check_named_voices(session, owner_id, spec.voice_ids, param)  # a clone: the caller's
        cloned_voices(context)  # a cloned voice's files come from the blob store
        check_voice_ids(spec.voice_ids, context.engines.synthesizers)
    allow_private = context.settings.allow_private_urls
    for param in ("video", "audio", "srt"):
        ref = getattr(body, param)
        if ref is not None:
            check_ref(session, owner_id, ref.model_dump(), param, allow_private=allow_private)
    check_callback_url(body.callback_url, allow_private=allow_private)
    return spec


def glossary_terms(session: Session, owner_id: str, glossary_id: str | None):
    """The terms of the caller's glossary `glossary_id` as they are now (None: no glossary).

    Raises:
        NotFoundError: param brand_glossary_id.
    """
    if not glossary_id:
        return None
    return load_glossary(session, owner_id, glossary_id).terms


@router.get("", response_model=VideoTranslationList)
def list_video_translations(
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    token: PageToken = None,
    next_token: PageTokenAlias = None,
) -> dict:
    """The caller's translations, newest first; pass the answer's next_token as `token` to
    get the next page."""
    query = select(Translation).where(Translation.owner_id == key.id)
    cursor, param = token_param(token, next_token)
    page, has_more, after = newest_first_page(
        session, query, Translation, limit, cursor, param=param
    )
    return {
        "data": [public_translation(context, row) for row in page],
        "has_more": has_more,
        "next_token": after,
    }


PublicEnvelope = DataEnvelope[VideoTranslationPublic]


@router.get("/{video_translation_id}", response_model=PublicEnvelope)
async def read_video_translation(
    video_translation_id: str, key: CurrentKey, context: ContextDep
) -> Response:
    """A translation's status, progress, output URLs and quality report."""
    # Status polling is the busiest request: async with one short read in a worker thread,
    # and serialized once from the model (a sync route would take two thread-pool hops and
    # validate the answer a second time).
    row = await read_in_thread(context, owned_translation_row, key.id, video_translation_id)
    body = PublicEnvelope(data=public_model(context, row)).model_dump_json()
    return Response(body, media_type="application/json")


@router.patch("/{video_translation_id}", response_model=PublicEnvelope)
def update_video_translation(
    video_translation_id: str,
    body: UpdateTitleRequest,
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
) -> dict:
    """Change a translation's display title; answers the translation."""
    row = owned_translation(session, key.id, video_translation_id)
    row.title = body.title
    session.commit()
    return {"data": public_translation(context, row)}


@router.delete("/{video_translation_id}", response_model=DataEnvelope[VideoTranslationDeleted])
def delete_video_translation(
    video_translation_id: str, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Delete a translation: a running job is cancelled and its files are removed."""
    row = owned_translation(session, key.id, video_translation_id)
    if context.executor is not None:
        context.executor.cancel(row.id)  # stops inside its running stage
    session.delete(row)
    session.commit()
    context.blobs.delete_prefix(TRANSLATIONS.blob_prefix(row.id))
    return {"data": {"id": row.id, "deleted": True}}


@router.get("/{video_translation_id}/caption", response_model=DataEnvelope[CaptionLink])
def read_caption(
    video_translation_id: str,
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
    format: Annotated[Literal["srt", "vtt"], Query(description="srt or vtt")] = "srt",
) -> dict:
    """A signed URL of the translated captions (404 until the translation completes)."""
    row = owned_translation(session, key.id, video_translation_id)
    caption_key = row.srt_key if format == "srt" else row.vtt_key
    if row.status != "completed" or caption_key is None:
        raise not_found("Caption", param="video_translation_id")
    return {"data": {"format": format, "caption_url": context_file_url(context, caption_key)}}


def owned_translation(session: Session, owner_id: str, translation_id: str) -> Translation:
    """The caller's translation; another key's rows are as absent as missing ones."""
    row = session.get(Translation, translation_id)
    if row is None or row.owner_id != owner_id:
        raise not_found("Video translation", param="video_translation_id")
    return row


def owned_translation_row(connection: Connection, owner_id: str, translation_id: str) -> Row:
    """owned_translation as one Core query: a Row with the same attributes as the model."""
    table = Translation.__table__
    row = connection.execute(select(table).where(table.c.id == translation_id)).first()
    if row is None or row.owner_id != owner_id:
        raise not_found("Video translation", param="video_translation_id")
    return row


def public_translation(context, row: Translation) -> dict:
    return public_model(context, row).model_dump()


def public_model(context, row: Translation | Row) -> VideoTranslationPublic:
    return VideoTranslationPublic(
        id=row.id,
        title=row.title,
        status=row.status,
        progress=round(row.progress or 0.0, 4),
        input_language=row.input_language,
        output_language=row.output_language,
        mode=row.mode,
        video_url=context_file_url(context, row.video_key),
        audio_url=context_file_url(context, row.audio_key),
        srt_caption_url=context_file_url(context, row.srt_key),
        vtt_caption_url=context_file_url(context, row.vtt_key),
        translate_audio_only=bool(row.translate_audio_only),
        caption_url=CaptionUrls(
            srt=context_file_url(context, row.srt_key), vtt=context_file_url(context, row.vtt_key)
        ),
        duration=row.duration,
        failure_message=row.failure_message,
        callback_id=row.callback_id,
        folder_id=row.folder_id,
        created_at=unix(row.created_at),
        completed_at=unix(row.completed_at),
        report=row.report,
        warnings=report_warnings(row.report),
    )
