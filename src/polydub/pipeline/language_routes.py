"""Which target languages this installation can serve, and with which engines.

A target needs a voice (some TTS engine speaks it) and a translation path into it (some engine
translates into it from some source). Used by `polydub languages`, up-front request checks and
the API's languages endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polydub.config import Settings
from polydub.domain.language import all_languages, language_name, resolve_language
from polydub.errors import PolydubError, UnsupportedLanguageError
from polydub.pipeline.engine_set import EngineSet


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    code: str
    translation: list[str]  # "engine (sources)" strings
    voices: list[str]  # TTS engine names, best first


def _translation_sources(engines: EngineSet) -> dict[str, dict[str, set[str]]]:
    """target -> engine name -> sources."""
    served: dict[str, dict[str, set[str]]] = {}
    for translator in engines.translators:
        for source, target in translator.pairs():
            served.setdefault(target, {}).setdefault(translator.name, set()).add(source)
    return served


def language_catalog(settings: Settings, engines: EngineSet | None = None) -> list[CatalogEntry]:
    """Every HeyGen-named language this installation can dub into."""
    from polydub.engines.tts.select import tts_languages

    engines = engines or EngineSet(settings)
    voices = tts_languages(engines.synthesizers.values())
    served = _translation_sources(engines)
    entries = []
    for lang in all_languages():
        if lang.code not in voices:
            continue
        by_engine = {**served.get(lang.code, {}), **served.get("*", {})}
        # A language is always reachable from itself (re-voicing without translation).
        translation = [
            f"{name} ({', '.join(sorted(sources))})" for name, sources in sorted(by_engine.items())
        ]
        if not translation:
            continue
        entries.append(
            CatalogEntry(lang.name, lang.locale or lang.code, translation, voices[lang.code])
        )
    return entries


def check_targets(engines: EngineSet, targets: list[str], source: str | None) -> list[str]:
    """Resolve target names to codes and refuse, before any work, targets nothing can serve.

    Raises:
        UnsupportedLanguageError: names the target and what to configure to serve it.
    """
    from polydub.engines.tts.select import tts_languages

    voices = tts_languages(engines.synthesizers.values())
    served = _translation_sources(engines)
    codes = []
    for name in targets:
        try:
            lang = resolve_language(name)
        except ValueError as exc:
            raise UnsupportedLanguageError(str(exc), param="output_languages") from exc
        code = lang.code
        if code not in voices:
            raise UnsupportedLanguageError(
                f"no voice speaks {lang.name} here; {_how_to_voice(engines, code)}",
                param="output_languages",
            )
        sources = set().union(*served.get(code, {}).values(), *served.get("*", {}).values())
        if source is not None and source != code and source not in sources and "*" not in sources:
            raise UnsupportedLanguageError(
                f"no translation engine serves {language_name(source)} -> {lang.name}; "
                f"{_how_to_serve(engines, source, code)}",
                param="output_languages",
            )
        if source is None and not sources:
            raise UnsupportedLanguageError(
                f"no translation engine translates into {lang.name}; "
                f"{_how_to_serve(engines, None, code)}",
                param="output_languages",
            )
        codes.append(code)
    return list(dict.fromkeys(codes))


# Below this the language heard in the first seconds is a guess: the pipeline's own detection
# (on the separated speech) decides instead.
_SURE_DETECTION = 0.5


def unserved_from_heard_source(engines: EngineSet, codes: list[str], media: Path) -> dict[str, str]:
    """With no source language given: target code -> why it is refused, for the targets no
    route serves from the language heard in the media's first 30 s, so they fail in seconds
    rather than after transcribing all of it.

    Empty when every target is served from any source (a chat endpoint), when there is nothing
    to hear, or when the detection is unsure: the pipeline's own detection decides then.
    """
    served = _translation_sources(engines)
    if all("*" in set().union(*served.get(code, {}).values(), *served.get("*", {}).values())
           for code in codes):  # fmt: skip
        return {}
    from polydub.engines.asr.base import ASR_SAMPLE_RATE
    from polydub.media.audio import decode_audio

    try:
        audio = decode_audio(media, ASR_SAMPLE_RATE, start=0.0, end=30.0)
        heard, probability = engines.transcriber.detect_language(audio.samples)
    except PolydubError:
        # No audio, or no speech, to hear: the pipeline's stages say what is wrong with it.
        return {}
    if probability < _SURE_DETECTION:
        return {}
    refused = {}
    for code in codes:
        try:
            check_targets(engines, [code], heard)
        except UnsupportedLanguageError as exc:
            refused[code] = (
                f"the video sounds {language_name(heard)} (detected, {probability:.0%}; give "
                f"the source language if not): {exc}"
            )
    return refused


def check_heard_source(engines: EngineSet, codes: list[str], media: Path) -> None:
    """`unserved_from_heard_source`, refusing the first target it names.

    Raises:
        UnsupportedLanguageError: names the heard language, the target and the fix.
    """
    refused = unserved_from_heard_source(engines, codes, media)
    if refused:
        raise UnsupportedLanguageError(next(iter(refused.values())), param="output_languages")


def _catalogue(engines: EngineSet) -> dict:
    from polydub.engines.models.catalogue import load_catalogue

    try:
        return load_catalogue(engines.settings.model_catalogue)
    except ValueError:
        return load_catalogue()


def _how_to_voice(engines: EngineSet, target: str) -> str:
    """The fix for a language no voice speaks: a voice to pull, else eSpeak-NG."""
    from polydub.engines.models.catalogue import voice_models_for

    names = voice_models_for(_catalogue(engines), target)
    pull = f"pull a voice (`polydub models pull {names[0]}`) or " if names else ""
    return f"{pull}install espeak-ng or configure a TTS engine"


def _how_to_serve(engines: EngineSet, source: str | None, target: str) -> str:
    """The fix for a missing translation pair: a model to pull, else what to configure."""
    from polydub.engines.models.catalogue import translation_models_for

    names = translation_models_for(_catalogue(engines), source, target)
    pull = f"pull a model (`polydub models pull {names[0]}`) or " if names else ""
    return (
        f"{pull}configure a CTranslate2 model (POLYDUB_CT2_MODELS) or an OpenAI-compatible "
        "endpoint (POLYDUB_OPENAI_BASE_URL)"
    )
