"""The proofreading studio's endpoints (Polydub extensions): a proofread's segments to read and
edit (translation, speaker, voice, timing), and one line synthesised alone to audition.

Edits are stored with the proofread, beside those an SRT upload makes (jobs/proofread_scripts.py);
generating afterwards applies them all.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from polydub.api.deps import ContextDep, CurrentKey, SessionDep
from polydub.api.errors import invalid
from polydub.api.routes.proofreads import completed_proofread
from polydub.api.schemas.common import DataEnvelope
from polydub.api.schemas.proofreads import (
    Audition,
    AuditionRequest,
    ProofreadSegments,
    UpdateProofreadSegmentsRequest,
)
from polydub.errors import InvalidInputError
from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.models import Asset, Batch, Proofread, Translation
from polydub.jobs.proofread_audition import audition_line
from polydub.jobs.proofread_scripts import (
    line_quality,
    proofread_segments,
    segment_edits,
    store_segment_edits,
)
from polydub.pipeline.artifacts import TranslationArtifact
from polydub.pipeline.segment_edits import apply_segment_edits, merge_edits
from polydub.storage.signed_urls import context_file_url
from polydub.voice_catalog import list_voices

router = APIRouter(prefix="/v3/video-translations/proofreads", tags=["Proofreading studio"])

# Registries that are not offered to pick from (as in /v3/voices).
HIDDEN_ENGINES = ("matched:",)


@router.get("/{proofread_id}/segments", response_model=DataEnvelope[ProofreadSegments])
def read_segments(
    proofread_id: str, key: CurrentKey, context: ContextDep, session: SessionDep
) -> dict:
    """The proofread's script as segments (source text, translation with the edits laid over,
    speaker, voice, times, the translation-quality signal and, once a video was generated from
    it, each line's speech rate and video slow-down), with the voices a line can be given."""
    row = ready_proofread(session, key.id, proofread_id)
    return {"data": segments_payload(context, session, row)}


@router.patch("/{proofread_id}/segments", response_model=DataEnvelope[ProofreadSegments])
def update_segments(
    proofread_id: str,
    body: UpdateProofreadSegmentsRequest,
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
) -> dict:
    """Edit segments: translation, speaker, voice, start and end (absent fields unchanged; a
    value equal to the machine's, or null, undoes that edit). Generating afterwards re-dubs the
    edited lines (and neighbours whose timing moved) and reuses the rest."""
    row = ready_proofread(session, key.id, proofread_id)
    segments = proofread_segments(context, proofread_id)
    changes = [change.model_dump(exclude_unset=True) for change in body.segments]
    try:
        edits = merge_edits(
            segments,
            segment_edits(context, proofread_id),
            changes,
            voices=set(offered_voices(context, row.output_code)),
        )
    except InvalidInputError as exc:
        raise invalid(exc.message, param=exc.param) from exc
    store_segment_edits(context, proofread_id, edits)
    return {"data": segments_payload(context, session, row)}


@router.post("/{proofread_id}/audition", response_model=DataEnvelope[Audition])
def audition(
    proofread_id: str,
    body: AuditionRequest,
    key: CurrentKey,
    context: ContextDep,
    session: SessionDep,
) -> dict:
    """Synthesise one line alone (the text given, else its current translation) with the voice
    the dub would give it, at the rate its slot needs; a signed URL of the WAV."""
    row = ready_proofread(session, key.id, proofread_id)
    if body.voice_id is not None and body.voice_id not in offered_voices(context, row.output_code):
        raise invalid(f"voice {body.voice_id!r} not found", param="voice_id")
    script = edited_script(context, row)
    if body.index not in {s.index for s in script.segments}:
        raise invalid(f"no segment {body.index}", param="index")
    try:
        made = audition_line(
            context,
            row,
            script,
            body.index,
            text=body.translation,
            voice_id=body.voice_id,
            speaker_voices=last_generated_voices(session, row),
        )
    except InvalidInputError as exc:
        raise invalid(exc.message, param=exc.param or "translation") from exc
    return {
        "data": {
            "audio_url": context_file_url(context, made.audio_key),
            "duration": made.duration,
            "voice_id": made.voice_id,
        }
    }


# -- helpers -------------------------------------------------------------------------------------


def ready_proofread(session: Session, owner_id: str, proofread_id: str) -> Proofread:
    """The caller's proofread, once its script is there (409 resource_not_ready before)."""
    return completed_proofread(
        session, owner_id, proofread_id, not_ready=(409, "resource_not_ready")
    )


def offered_voices(context, language: str | None) -> dict[str, str]:
    """Voice id -> name, of the voices a line of `language` can be given."""
    return {
        entry.id: entry.id.partition(":")[2]
        for entry in list_voices(context.engines.synthesizers, language)
        if not entry.id.startswith(HIDDEN_ENGINES)
    }


def edited_script(context, row: Proofread) -> TranslationArtifact:
    """The proofread's segments with its edits laid over (voices aside)."""
    script = TranslationArtifact(
        source_language="",
        target_language=row.output_code or "",
        engine="proofread",
        segments=proofread_segments(context, row.id),
    )
    return apply_segment_edits(script, segment_edits(context, row.id))


def latest_translation(session: Session, row: Proofread, *, completed: bool) -> Translation | None:
    query = select(Translation).where(Translation.proofread_id == row.id)
    if completed:
        query = query.where(Translation.status == "completed")
    return session.scalars(
        query.order_by(Translation.created_at.desc(), Translation.id.desc()).limit(1)
    ).first()


def last_generated_voices(session: Session, row: Proofread) -> dict[str, str]:
    """Speaker -> voice of the last video generated from this proofread (empty before one)."""
    done = latest_translation(session, row, completed=True)
    report = (done.report or {}) if done else {}
    return dict((report.get("engines") or {}).get("voices") or {})


def segments_payload(context, session: Session, row: Proofread) -> dict:
    machine = {s.index: s for s in proofread_segments(context, row.id)}
    edits = segment_edits(context, row.id)
    script = apply_segment_edits(
        TranslationArtifact(
            source_language="", target_language="", engine="", segments=list(machine.values())
        ),
        edits,
    )
    quality = line_quality(context, row.id)
    done = latest_translation(session, row, completed=True)
    timing = generated_timing((done.report or {}) if done else {})
    voices = last_generated_voices(session, row)
    latest = latest_translation(session, row, completed=False)
    speakers = sorted({s.speaker for s in machine.values()})
    glossary = stored_spec_of(session, row).glossary_terms or ()
    return ProofreadSegments(
        proofread_id=row.id,
        output_language=row.output_language,
        status=row.status,
        source_video_url=source_video_url(context, session, row),
        video_translation_id=latest.id if latest else None,
        speakers=[{"speaker": s, "voice_id": voices.get(s)} for s in speakers],
        voices=[
            {"voice_id": i, "name": n} for i, n in offered_voices(context, row.output_code).items()
        ],
        glossary_terms=list(
            dict.fromkeys(t for term in glossary for t in (term.source, term.target) if t)
        ),
        segments=[
            {
                "index": s.index,
                "start": s.start,
                "end": s.end,
                "speaker": s.speaker,
                "source_text": s.text,
                "translation": s.translation,
                "voice_id": edits.get(s.index, {}).get("voice_id"),
                "quality": quality.get(s.index),
                "rate": timing.get(s.index, {}).get("rate"),
                "slowdown": timing.get(s.index, {}).get("slowdown"),
                "edited": s.index in edits,
            }
            for s in script.segments
        ],
    ).model_dump()


def stored_spec_of(session: Session, row: Proofread):
    origin = session.get(Batch, row.batch_id)
    return stored_spec(origin.kind, origin.request)


def source_video_url(context, session: Session, row: Proofread) -> str | None:
    """The source video as the browser can play it: its asset signed, or its URL as given."""
    ref = stored_spec_of(session, row).video
    if ref is None or ref.kind == "path":
        return None
    if ref.kind == "url":
        return ref.value
    asset = session.get(Asset, ref.value)
    return None if asset is None else context_file_url(context, asset.storage_key)


def generated_timing(report: dict) -> dict[int, dict[str, float]]:
    """Segment index -> {"rate", "slowdown"} of a generated video's report (empty without)."""
    plan = report.get("plan") or {}
    stretches = plan.get("stretches") or []
    out = {}
    for t in plan.get("segments") or []:
        dub = t.get("dub_duration") or 0.0
        rate = t["natural_duration"] / dub if dub > 0 else 1.0
        slow = [
            s["factor"]
            for s in stretches
            if s.get("segment") == t["index"]
            or (s["start"] < t["source_end"] and s["end"] > t["source_start"])
        ]
        out[t["index"]] = {"rate": round(rate, 3), "slowdown": round(max(slow, default=1.0), 3)}
    return out
