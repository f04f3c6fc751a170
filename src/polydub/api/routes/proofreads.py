"""/v3/video-translations/proofreads: create, get, SRT download and upload, generate."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import ApiError, invalid, not_found
from polydub.api.pagination import unix
from polydub.api.routes.video_translations import glossary_terms
from polydub.api.schemas.common import DataEnvelope
from polydub.api.schemas.proofreads import (
    CreateProofreadRequest,
    GeneratedVideoTranslation,
    GenerateFromProofreadRequest,
    ProofreadCreated,
    ProofreadPublic,
    ProofreadSrtLink,
    ProofreadSrtUploaded,
    UploadProofreadSrtRequest,
)
from polydub.domain.language import resolve_language
from polydub.errors import InvalidInputError
from polydub.jobs.heygen_requests import media_ref, spec_from_request, stored_spec
from polydub.jobs.inputs import check_callback_url, check_ref, resolve_input
from polydub.jobs.models import Asset, Batch, Proofread, Translation
from polydub.jobs.proofread_scripts import store_edited_srt
from polydub.jobs.spec import JobSpec
from polydub.pipeline.language_routes import check_targets
from polydub.storage.signed_urls import context_file_url

router = APIRouter(prefix="/v3/video-translations/proofreads", tags=["Video Translate"])


@router.post("", response_model=DataEnvelope[ProofreadCreated])
def create_proofread(
    body: CreateProofreadRequest, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Create a proofread session: the video is transcribed and translated (no voices yet) so
    its subtitles can be reviewed before the final render. One proofread_id per language."""
    languages = target_languages(body.output_languages)
    check_targets(context.engines, body.output_languages, None)
    spec = spec_from_request(
        "proofread",
        body.model_dump(mode="json"),
        glossary_terms=glossary_terms(
            session, key.id, body.brand_glossary_id or body.brand_voice_id
        ),
    )
    allow_private = context.settings.allow_private_urls
    for param in ("video", "srt"):
        ref = getattr(body, param)
        if ref is not None:
            check_ref(session, key.id, ref.model_dump(), param, allow_private=allow_private)
    batch = Batch(
        owner_id=key.id, kind="proofread", request=spec.model_dump(mode="json"), status="pending"
    )
    session.add(batch)
    session.flush()
    rows = [
        Proofread(
            owner_id=key.id,
            batch_id=batch.id,
            title=body.title,
            folder_id=body.folder_id,
            status="processing",
            output_language=language.name,
            output_code=language.code,
        )
        for language in languages
    ]
    session.add_all(rows)
    session.commit()  # the executor reads these rows from its own session
    if context.executor is not None:
        context.executor.submit(batch.id)
    return {"data": {"proofread_ids": [row.id for row in rows], "status": "processing"}}


@router.get("/{proofread_id}", response_model=DataEnvelope[ProofreadPublic])
def read_proofread(proofread_id: str, key: CurrentKey, session: SessionDep) -> dict:
    """A proofread session's status: processing, completed or failed (with failure_message)."""
    return {"data": public_proofread(session, owned_proofread(session, key.id, proofread_id))}


@router.get("/{proofread_id}/srt", response_model=DataEnvelope[ProofreadSrtLink])
def read_proofread_srt(
    proofread_id: str, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """A signed, expiring link to the proofread's SRT: the translated script, one cue per
    line on the source video's times (the uploaded edit, once there is one)."""
    row = completed_proofread(session, key.id, proofread_id)
    return {
        "data": {
            "srt_url": context_file_url(context, row.edited_srt_key or row.srt_key),
            "original_srt_url": original_srt_url(context, session, row),
        }
    }


def original_srt_url(context, session: Session, row: Proofread) -> str | None:
    """Where the SRT given at creation is: its URL as given, or its asset, signed."""
    origin = session.get(Batch, row.batch_id)
    ref = stored_spec(origin.kind, origin.request).source_srt
    if ref is None or ref.kind == "path":
        return None
    if ref.kind == "url":
        return ref.value
    asset = session.get(Asset, ref.value)
    return None if asset is None else context_file_url(context, asset.storage_key)


@router.put("/{proofread_id}/srt", response_model=DataEnvelope[ProofreadSrtUploaded])
def upload_proofread_srt(
    proofread_id: str,
    body: UploadProofreadSrtRequest,
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
) -> dict:
    """Upload the reviewed SRT (by url or asset_id). Cues map back to lines by their number,
    else by time; generating afterwards re-voices only the lines whose text changed."""
    row = completed_proofread(session, key.id, proofread_id)
    ref = body.srt.model_dump()
    check_ref(session, key.id, ref, "srt", allow_private=context.settings.allow_private_urls)
    try:
        path = resolve_input(context, key.id, media_ref(ref), "srt")
        edits = store_edited_srt(context, proofread_id, path)
    except InvalidInputError as exc:
        raise invalid(exc.message, param=exc.param or "srt") from exc
    session.refresh(row)
    return {"data": {**public_proofread(session, row), "edited_segments": len(edits)}}


@router.post("/{proofread_id}/generate", response_model=DataEnvelope[GeneratedVideoTranslation])
def generate_from_proofread(
    proofread_id: str,
    body: GenerateFromProofreadRequest,
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
) -> dict:
    """Dub the video with the proofread (and edited) script; returns a video_translation_id
    to poll at GET /v3/video-translations/{id}."""
    row = completed_proofread(session, key.id, proofread_id)
    check_callback_url(body.callback_url, allow_private=context.settings.allow_private_urls)
    origin = session.get(Batch, row.batch_id)
    spec = generated_spec(stored_spec(origin.kind, origin.request), row, body)
    batch = Batch(owner_id=key.id, kind="translation", request=spec.model_dump(mode="json"))
    session.add(batch)
    session.flush()
    translation = Translation(
        owner_id=key.id,
        batch_id=batch.id,
        proofread_id=row.id,
        title=row.title,
        folder_id=row.folder_id,
        mode=spec.mode,
        input_language=row.input_language,
        output_language=row.output_language,
        output_code=row.output_code,
        callback_url=body.callback_url,
        callback_id=body.callback_id,
        translate_audio_only=body.translate_audio_only,
    )
    session.add(translation)
    session.commit()
    if context.executor is not None:
        context.executor.submit(batch.id)
    return {"data": {"video_translation_id": translation.id, "status": "processing"}}


def generated_spec(
    proofread_spec: JobSpec, row: Proofread, body: GenerateFromProofreadRequest
) -> JobSpec:
    """The translation a generate stands for: the proofread's own spec (its stretching flag
    is already the spec's dynamic_duration), dubbed with the proofread's script."""
    return proofread_spec.model_copy(
        update={
            "kind": "translation",
            "embed_captions": body.captions,
            "audio_only": body.translate_audio_only,
            "proofread_id": row.id,
        }
    )


def target_languages(names: list[str]) -> list:
    languages = {}
    for name in names:
        try:
            language = resolve_language(name)
        except ValueError as exc:
            raise invalid(str(exc), param="output_languages") from exc
        languages.setdefault(language.name, language)
    return list(languages.values())


def owned_proofread(session: Session, owner_id: str, proofread_id: str) -> Proofread:
    """The caller's proofread; another key's rows are as absent as missing ones."""
    row = session.get(Proofread, proofread_id)
    if row is None or row.owner_id != owner_id:
        raise not_found("Proofread", param="proofread_id")
    return row


def completed_proofread(
    session: Session,
    owner_id: str,
    proofread_id: str,
    *,
    not_ready: tuple[int, str] = (400, "invalid_parameter"),
) -> Proofread:
    """The caller's proofread once its script is there; before, `not_ready` (status, code):
    HeyGen's routes answer 400, the studio's 409 resource_not_ready."""
    row = owned_proofread(session, owner_id, proofread_id)
    if row.status != "completed":
        raise ApiError(
            *not_ready, f"the proofread is {row.status}, not completed", param="proofread_id"
        )
    return row


def public_proofread(session: Session, row: Proofread) -> dict:
    generated = session.scalar(
        select(Translation.id).where(Translation.proofread_id == row.id).limit(1)
    )
    return ProofreadPublic(
        id=row.id,
        title=row.title,
        status=row.status,
        input_language=row.input_language,
        output_language=row.output_language,
        submitted_for_review=generated is not None,
        created_at=unix(row.created_at),
        failure_message=row.failure_message,
    ).model_dump()
