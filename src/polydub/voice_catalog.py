"""The voices a user can pick: stock voices per language, and their saved (matched) voices."""

from __future__ import annotations

from dataclasses import dataclass

from polydub.engines.tts.base import Synthesizer
from polydub.engines.tts.matched import check_voice_name
from polydub.engines.tts.select import ranked_engines
from polydub.errors import InvalidInputError


@dataclass(frozen=True)
class VoiceEntry:
    id: str  # what preferred_stock_voice_ids / --voice take
    kind: str  # "stock" | "saved"
    gender: str | None
    languages: tuple[str, ...]


def list_voices(
    synthesizers: dict[str, Synthesizer], language: str | None = None
) -> list[VoiceEntry]:
    """Stock voices (best engine first for `language`), then the user's saved voices."""
    if language is not None:
        engines = ranked_engines(language, synthesizers.values())
    else:
        engines = [s for s in synthesizers.values() if s.languages()]
    entries = [
        VoiceEntry(v.id, "stock", v.gender, (language,) if language else tuple(sorted(v.languages)))
        for engine in engines
        for v in engine.voices(language)
    ]
    saved = getattr(synthesizers.get("voice"), "saved", None)
    for v in saved() if saved is not None else []:
        if language is None or language in v.languages:
            entries.append(VoiceEntry(v.id, "saved", v.gender, v.languages))
    return entries


def save_voice(synthesizers: dict[str, Synthesizer], voice_id: str, name: str) -> str:
    """Copy a matched voice ("matched:<key>", as a dub's report names it) into the registry
    as `name`; returns its id ("voice:<name>").

    Raises:
        InvalidInputError: a bad name, or no such matched voice.
    """
    engine, _, key = voice_id.partition(":")
    source = getattr(synthesizers.get(engine), "store", None)
    try:
        check_voice_name(name)
        if source is None or not source.exists(key):
            raise ValueError(f"no matched voice {voice_id!r} (see the voices of a dub's report)")
    except ValueError as exc:
        raise InvalidInputError(str(exc), param="voice") from exc
    synthesizers["voice"].store.save(name, source.load(key))
    return f"voice:{name}"


def check_saved_voices(synthesizers: dict[str, Synthesizer], names: list[str]) -> None:
    """Refuse `--voice SPEAKER=NAME` for a name that was never saved."""
    store = synthesizers["voice"].store
    for name in names:
        try:
            known = store.exists(check_voice_name(name))
        except ValueError as exc:
            raise InvalidInputError(str(exc), param="voice") from exc
        if not known:
            raise InvalidInputError(
                f"no saved voice {name!r}; saved voices: {', '.join(store.names()) or 'none'}",
                param="voice",
            )
