"""HeyGen request fields that need pipeline support -> DubOptions keyword arguments:
srt/srt_role, audio, fps_mode, enable_watermark, enable_caption, stock_voice_config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polydub.jobs.models import Asset


def extra_dub_options(request: dict, context, owner_id: str | None = None) -> dict[str, Any]:
    """DubOptions kwargs for srt/srt_role, audio, fps_mode, enable_watermark, enable_caption
    and stock_voice_config; srt and audio references are fetched (url) or looked up (asset_id).

    Without `owner_id`, an asset is resolved as its own owner's: the create route checked at
    request time that it belongs to the caller (jobs.inputs.check_ref).

    Raises:
        InvalidInputError: an unknown stock voice id, or an unusable reference.
    """
    kwargs: dict[str, Any] = {
        "watermark": bool(request.get("enable_watermark")),
        "embed_captions": bool(request.get("enable_caption")),
        "fps_mode": request.get("fps_mode"),
    }
    if request.get("srt"):
        path = _resolve(context, owner_id, request["srt"], "srt")
        # The reference leaves the default open: an SRT without a role is the source's script.
        role = request.get("srt_role") or "input"
        kwargs["output_srt" if role == "output" else "source_srt"] = path
    if request.get("audio"):
        kwargs["dub_audio"] = _resolve(context, owner_id, request["audio"], "audio")
    voice_ids = preferred_voice_ids(request)
    if voice_ids:
        check_request_voices(context, request)
        kwargs["voice_ids"] = voice_ids
    # HeyGen's default clones the speaker; use_stock_voice asks for preset voices.
    kwargs["use_stock_voice"] = bool(
        (request.get("stock_voice_config") or {}).get("use_stock_voice")
    )
    return kwargs


def preferred_voice_ids(request: dict) -> tuple[str, ...]:
    config = request.get("stock_voice_config") or {}
    return tuple(config.get("preferred_stock_voice_ids") or ())


def check_request_voices(context, request: dict) -> None:
    """At request time (and again at run time): every preferred stock voice id must exist.

    Raises:
        InvalidInputError: param stock_voice_config.preferred_stock_voice_ids.
    """
    voice_ids = preferred_voice_ids(request)
    if voice_ids:
        from polydub.jobs.executor import shared_engines
        from polydub.pipeline.voices import check_voice_ids

        check_voice_ids(voice_ids, shared_engines(context).synthesizers)


def _resolve(context, owner_id: str | None, ref: dict, param: str) -> Path:
    from polydub.jobs.inputs import resolve_input

    if owner_id is None and ref.get("type") == "asset_id":
        with context.db.session() as session:
            asset = session.get(Asset, ref["asset_id"])
            owner_id = asset.owner_id if asset is not None else ""
    return resolve_input(context, owner_id or "", ref, param)


def request_dub_options(
    context, owner_id: str, request: dict, targets: tuple[str, ...], *, extras: bool = True
):
    """The DubOptions of a validated create request (translation, proofread, or a generate from
    a proofread) for `targets` (ISO codes): built in one place, so a proofread and the
    translation generated from it have the same stage keys and share their checkpoints.

    With `extras`, the fields of `extra_dub_options` are included.
    """
    from polydub.domain.language import resolve_language
    from polydub.errors import InvalidInputError
    from polydub.jobs.run_translation import request_glossary
    from polydub.pipeline.dub import DubOptions

    settings = context.settings
    source_code = None
    if request.get("input_language"):
        try:
            source_code = resolve_language(request["input_language"]).code
        except ValueError as exc:
            raise InvalidInputError(str(exc), param="input_language") from exc
    with context.db.session() as session:
        glossary = request_glossary(session, owner_id, request)
    kwargs: dict[str, Any] = dict(
        targets=targets,
        source_language=source_code,
        mode=request.get("mode") or "speed",
        speakers=request.get("speaker_num"),
        start=request.get("start_time"),
        end=request.get("end_time"),
        audio_only=bool(request.get("translate_audio_only")),
        keep_music=not request.get("disable_music_track", False),
        enhance=bool(request.get("enable_speech_enhancement")),
        keep_format=bool(request.get("keep_the_same_format")),
        # A proofread's request names it enable_video_stretching.
        dynamic_duration=bool(
            request.get("enable_dynamic_duration", request.get("enable_video_stretching", True))
        ),
        glossary=glossary,
        max_rate=settings.max_speech_rate,
        target_lufs=settings.target_lufs,
    )
    if extras:
        kwargs |= extra_dub_options(request, context, owner_id)
    return DubOptions(**kwargs)
