"""/v3/voices: HeyGen's Voices API. Stock voices are the bundled TTS engines' (ids as in
preferred_stock_voice_ids, "kokoro:jm_kumo"); cloned voices ("clone:<id>") are the caller's
own, matched to a recording by a voice clone job, and usable wherever a voice is named.
Another key's cloned voice is as absent as a missing one."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import ApiError, invalid
from polydub.api.pagination import unix
from polydub.api.schemas.common import DataEnvelope
from polydub.api.schemas.voices import (
    CloneVoiceRequest,
    SpeechRequest,
    SpeechResult,
    VoiceCloneCreated,
    VoiceDeleted,
    VoiceList,
    VoiceListItem,
    VoicePublic,
)
from polydub.domain.language import language_name, resolve_language
from polydub.errors import InvalidInputError
from polydub.jobs.inputs import check_ref
from polydub.jobs.lifecycle import VOICE_CLONES
from polydub.jobs.models import Batch, VoiceClone
from polydub.jobs.spec import MediaRef, VoiceCloneSpec
from polydub.jobs.speech import generate_speech, speech_language
from polydub.jobs.voice_clones import source_key
from polydub.jobs.voice_store import clone_id_of, clone_voice_id, cloned_voices
from polydub.media.sniff import SNIFF_BYTES, sniff_header
from polydub.storage.signed_urls import context_file_url
from polydub.voice_catalog import VoiceEntry, list_voices

router = APIRouter(prefix="/v3/voices", tags=["Voices"])

# HeyGen's engines are its own; every voice here reads POST /v3/voices/speech, so "starfish"
# (HeyGen's name for speech-capable voices) filters nothing. Polydub's engine names filter.
SPEECH_ENGINE = "starfish"
CLONE_STATUS = {
    "pending": "processing",
    "running": "processing",
    "completed": "complete",
    "failed": "failed",
}
Gender = Literal["male", "female"]


def voice_not_found(voice_id: str) -> ApiError:
    """HeyGen's 404 for a voice that is unknown, deleted, or another key's."""
    return ApiError(404, "voice_not_found", f"voice {voice_id!r} not found", param="voice_id")


# -- list and get --------------------------------------------------------------------------------


@router.get("", response_model=VoiceList)
def list_all_voices(
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
    type: Annotated[
        Literal["public", "private"] | None,
        Query(description="public: stock voices; private: your cloned voices"),
    ] = None,
    engine: Annotated[
        str | None, Query(max_length=50, description="'starfish' or kokoro, piper, espeak, clone")
    ] = None,
    language: Annotated[
        str | None, Query(max_length=100, description="A language name, code or locale")
    ] = None,
    gender: Annotated[Gender | None, Query(description="male or female")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    token: Annotated[str | None, Query(max_length=200, description="next_token of a page")] = None,
    next_token: Annotated[
        str | None, Query(max_length=200, description="Alias of token (older clients)")
    ] = None,
) -> dict:
    """Stock voices (best engine first for `language`), then the caller's complete cloned
    voices, newest first; pass the previous page's next_token as `token`."""
    code = _language_code(language, "language") if language else None
    engines = {engine} if engine and engine != SPEECH_ENGINE else None
    if engines is not None and engine not in _engine_names(context):
        raise invalid(
            f"unknown engine {engine!r}; use starfish or one of "
            f"{', '.join(sorted(_engine_names(context)))}",
            param="engine",
        )
    items: list[VoiceListItem] = []
    if type in (None, "public") and (engines is None or engines != {"clone"}):
        items += [
            _stock_item(entry, code)
            for entry in list_voices(context.engines.synthesizers, code)
            if entry.kind == "stock" and (engines is None or _engine_of(entry.id) in engines)
        ]
    if type in (None, "private") and (engines is None or "clone" in engines):
        items += [
            _clone_item(context, row)
            for row in _complete_clones(session, key.id)
            if code is None or row.language in (code, None)
        ]
    if gender is not None:
        items = [item for item in items if item.gender == gender]
    start = _offset(token or next_token)
    page = items[start : start + limit]
    more = start + limit < len(items)
    return {
        "data": [item.model_dump() for item in page],
        "has_more": more,
        "next_token": _token(start + limit) if more else None,
    }


@router.get("/{voice_id}", response_model=DataEnvelope[VoicePublic])
def read_voice(voice_id: str, key: CurrentKey, context: ContextDep, session: SessionDep) -> dict:
    """A voice's details; for a cloned voice its status: poll until 'complete'."""
    clone_id = clone_id_of(voice_id)
    if clone_id is not None:
        return {"data": _clone_public(context, _owned_clone(session, key.id, voice_id))}
    entry = _stock_entry(context, voice_id)
    item = _stock_item(entry, None)
    return {
        "data": VoicePublic(
            voice_id=item.voice_id,
            name=item.name,
            language=item.language,
            gender=item.gender,
            preview_audio_url=None,
            status=None,
            failure_message=None,
            created_at=None,
            support_pause=False,
            support_interactive_avatar=False,
        )
    }


# -- clone and delete ----------------------------------------------------------------------------


@router.post("/clone", response_model=DataEnvelope[VoiceCloneCreated])
def clone_voice(
    body: CloneVoiceRequest, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """Clone the voice of the speaker in `audio`; poll GET /v3/voices/{voice_clone_id}."""
    language = _language_code(body.language, "language") if body.language else None
    audio = body.audio.model_dump()
    inline = None
    if audio["type"] == "base64":
        inline = _decoded_audio(audio["data"])
    else:
        check_ref(
            session, key.id, audio, "audio", allow_private=context.settings.allow_private_urls
        )
    batch = Batch(owner_id=key.id, kind="voice_clone", request={})
    session.add(batch)
    session.flush()
    if inline is not None:
        spec = VoiceCloneSpec(
            audio_key=context.blobs.put_bytes(source_key(batch.id), inline),
            language=language,
            denoise=body.remove_background_noise,
        )
    else:
        ref = (
            MediaRef(kind="url", value=audio["url"])
            if audio["type"] == "url"
            else MediaRef(kind="asset", value=audio["asset_id"])
        )
        spec = VoiceCloneSpec(audio=ref, language=language, denoise=body.remove_background_noise)
    batch.request = spec.model_dump(mode="json")
    session.add(VoiceClone(id=batch.id, owner_id=key.id, name=body.voice_name, language=language))
    session.commit()  # the executor reads these rows from its own session
    if context.executor is not None:
        context.executor.submit(batch.id)
    return {"data": {"voice_clone_id": clone_voice_id(batch.id)}}


@router.delete("/{voice_id}", response_model=DataEnvelope[VoiceDeleted])
def delete_voice(voice_id: str, key: CurrentKey, context: ContextDep, session: SessionDep) -> dict:
    """Delete a cloned voice of the caller's (a clone still running is cancelled). Unknown,
    deleted, stock or another key's voices are 404 voice_not_found, as HeyGen answers."""
    row = _owned_clone(session, key.id, voice_id)
    if context.executor is not None:
        context.executor.cancel(row.id)  # stops inside its running stage
    session.delete(row)
    batch = session.get(Batch, row.id)
    if batch is not None:
        session.delete(batch)
    session.commit()
    cloned_voices(context).store.delete(row.id)
    context.blobs.delete_prefix(VOICE_CLONES.blob_prefix(row.id))
    return {"data": {"voice_id": voice_id}}


# -- speech --------------------------------------------------------------------------------------


@router.post("/speech", response_model=DataEnvelope[SpeechResult])
def speech(body: SpeechRequest, key: CurrentKey, context: ContextDep, session: SessionDep) -> dict:
    """Read `text` with a stock or cloned voice; the audio's URL, its duration and each word's
    start and end as the synthesis timed them."""
    asked = None
    if body.locale:
        asked = _language_code(body.locale, "locale")
    elif body.language:
        asked = _language_code(body.language, "language")
    voice_language = None
    clone_id = clone_id_of(body.voice_id)
    try:
        if clone_id is not None:
            row = _owned_clone(session, key.id, body.voice_id, param="voice_id", missing=400)
            if row.status != "completed":
                raise invalid(f"voice {body.voice_id!r} is not ready yet", param="voice_id")
            engine, voice_language = cloned_voices(context), row.language
        else:
            _stock_entry(context, body.voice_id, missing=400)
            engine = context.engines.synthesizers[_engine_of(body.voice_id)]
        language = speech_language(engine, body.text, asked, voice_language)
        made = generate_speech(
            context, key.id, engine, body.voice_id, body.text, language=language, speed=body.speed
        )
    except InvalidInputError as exc:
        raise invalid(str(exc), param=exc.param) from exc
    words = None if made.words is None else [w.__dict__ for w in made.words]
    return {
        "data": {
            "audio_url": context_file_url(context, made.audio_key),
            "duration": made.duration,
            "request_id": made.request_id,
            "word_timestamps": words,
        }
    }


# -- helpers -------------------------------------------------------------------------------------


def _engine_of(voice_id: str) -> str:
    return voice_id.partition(":")[0]


def _engine_names(context) -> set[str]:
    hidden = {"matched", "voice"}  # local registries, not offered through the API
    return set(context.engines.synthesizers) - hidden


def _language_code(value: str, param: str) -> str:
    try:
        return resolve_language(value).code
    except ValueError as exc:
        raise invalid(str(exc), param=param) from exc


def _stock_entry(context, voice_id: str, *, missing: int = 404) -> VoiceEntry:
    for entry in list_voices(context.engines.synthesizers):
        if entry.kind == "stock" and entry.id == voice_id:
            return entry
    if missing == 404:
        raise voice_not_found(voice_id)
    raise invalid(f"voice {voice_id!r} not found", param="voice_id")


def _stock_item(entry: VoiceEntry, code: str | None) -> VoiceListItem:
    if code is not None or len(entry.languages) == 1:
        language = language_name(code or entry.languages[0])
    else:
        language = "Multilingual"
    return VoiceListItem(
        voice_id=entry.id,
        name=entry.id.partition(":")[2],
        language=language,
        gender=entry.gender or "unknown",
        preview_audio_url=None,
        support_locale=False,
        support_pause=False,
        type="public",
    )


def _complete_clones(session: Session, owner_id: str) -> list[VoiceClone]:
    query = select(VoiceClone).where(
        VoiceClone.owner_id == owner_id, VoiceClone.status == "completed"
    )
    return list(session.scalars(query.order_by(VoiceClone.created_at.desc(), VoiceClone.id)))


def _clone_item(context, row: VoiceClone) -> VoiceListItem:
    return VoiceListItem(
        voice_id=clone_voice_id(row.id),
        name=row.name,
        language=language_name(row.language) if row.language else "Multilingual",
        gender=row.gender or "unknown",
        preview_audio_url=context_file_url(context, row.preview_key),
        support_locale=False,
        support_pause=False,
        type="private",
    )


def _owned_clone(
    session: Session, owner_id: str, voice_id: str, *, param: str = "voice_id", missing: int = 404
) -> VoiceClone:
    clone_id = clone_id_of(voice_id)
    row = session.get(VoiceClone, clone_id) if clone_id else None
    if row is None or row.owner_id != owner_id:
        if missing == 404:
            raise voice_not_found(voice_id)
        raise invalid(f"voice {voice_id!r} not found", param=param)
    return row


def _clone_public(context, row: VoiceClone) -> VoicePublic:
    return VoicePublic(
        voice_id=clone_voice_id(row.id),
        name=row.name,
        language=language_name(row.language) if row.language else None,
        gender=row.gender,
        preview_audio_url=context_file_url(context, row.preview_key),
        status=CLONE_STATUS.get(row.status, "processing"),
        failure_message=row.failure_message,
        created_at=unix(row.created_at),
        support_pause=False,
        support_interactive_avatar=False,
        progress=round(row.progress or 0.0, 4),
        report=row.report,
    )


def _decoded_audio(data: str) -> bytes:
    """Inline audio: standard base64 of an audio (or video) file."""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise invalid("audio.data is not valid base64", param="audio.data") from exc
    sniffed = sniff_header(raw[:SNIFF_BYTES])
    if sniffed is None or sniffed.kind not in ("audio", "video"):
        found = "an unknown format" if sniffed is None else sniffed.kind
        raise invalid(f"audio.data is {found}, not audio", param="audio.data")
    return raw


def _offset(token: str | None) -> int:
    """The list position a next_token names (stock voices are fixed per installation)."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset = json.loads(raw)["offset"]
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError(offset)
        return offset
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise invalid("token is not a next_token this API returned", param="token") from exc


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")
