"""HeyGen's request fields -> the job spec: the one place that knows both vocabularies.

The API calls it with a validated create request (translation, proofread or lip sync); a batch
stored before job specs existed holds such a request too, and is read through here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from polydub.domain.glossary import GlossaryTerm
from polydub.domain.language import resolve_language
from polydub.errors import InvalidInputError
from polydub.jobs.spec import JobKind, JobSpec, MediaRef, VoiceCloneSpec

# Where requests stored before job specs kept their glossary's terms.
LEGACY_GLOSSARY_SNAPSHOT = "_glossary_terms"


def media_ref(ref: Mapping[str, Any] | None) -> MediaRef | None:
    """HeyGen's {"type": "url", "url"} / {"type": "asset_id", "asset_id"} as a MediaRef."""
    if ref is None:
        return None
    if ref["type"] == "url":
        return MediaRef(kind="url", value=ref["url"])
    return MediaRef(kind="asset", value=ref["asset_id"])


def language_code(name: str | None, param: str = "input_language") -> str | None:
    """A language name or code as its ISO code (None for None).

    Raises:
        InvalidInputError: `param`, for a language Polydub does not know.
    """
    if not name:
        return None
    try:
        return resolve_language(name).code
    except ValueError as exc:
        raise InvalidInputError(str(exc), param=param) from exc


def spec_from_request(
    kind: JobKind,
    request: Mapping[str, Any],
    *,
    glossary_terms: Sequence[GlossaryTerm] | None = None,
) -> JobSpec:
    """The JobSpec of a validated HeyGen create request (its fields as a dict).

    Args:
        kind: which request it is: "translation", "proofread" or "lipsync".
        glossary_terms: the terms of the glossary it names, as they are now.
    """
    if glossary_terms is None and LEGACY_GLOSSARY_SNAPSHOT in request:
        glossary_terms = [GlossaryTerm(**t) for t in request[LEGACY_GLOSSARY_SNAPSHOT]]
    srt = media_ref(request.get("srt"))
    # The reference leaves the default open: an SRT without a role is the source's script.
    srt_is_output = request.get("srt_role") == "output"
    stock = request.get("stock_voice_config") or {}
    # A proofread calls video stretching enable_video_stretching, and it is off by default.
    if kind == "proofread":
        dynamic = request.get("enable_video_stretching", False)
    else:
        dynamic = request.get("enable_dynamic_duration", True)
    return JobSpec(
        kind=kind,
        video=media_ref(request["video"]),
        source_language=language_code(request.get("input_language")),
        mode=request.get("mode") or "speed",
        speakers=request.get("speaker_num"),
        start=request.get("start_time"),
        end=request.get("end_time"),
        audio_only=bool(request.get("translate_audio_only")),
        keep_music=not request.get("disable_music_track", False),
        enhance=bool(request.get("enable_speech_enhancement")),
        keep_format=bool(request.get("keep_the_same_format")),
        dynamic_duration=bool(dynamic),
        glossary_terms=None if glossary_terms is None else tuple(glossary_terms),
        source_srt=None if srt_is_output else srt,
        output_srt=srt if srt_is_output else None,
        dub_audio=media_ref(request.get("audio")),
        fps_mode=request.get("fps_mode"),
        watermark=bool(request.get("enable_watermark")),
        embed_captions=bool(request.get("enable_caption")),
        voice_ids=tuple(stock.get("preferred_stock_voice_ids") or ()),
        # HeyGen's default clones the speaker; use_stock_voice asks for preset voices.
        use_stock_voice=bool(stock.get("use_stock_voice")),
        proofread_id=request.get("proofread_id"),
    )


def stored_spec(kind: JobKind, stored: Mapping[str, Any]) -> JobSpec | VoiceCloneSpec:
    """The spec a batch holds: a JobSpec (a VoiceCloneSpec for a voice clone), or the HeyGen
    request a batch made before job specs existed (still unfinished after an upgrade) read
    through `spec_from_request`."""
    if kind == "voice_clone":
        return VoiceCloneSpec.model_validate(dict(stored))
    if "version" in stored:
        return JobSpec.model_validate(dict(stored))
    return spec_from_request(kind, stored)
