"""Languages by HeyGen's names, mapped to the ISO 639-1 codes engines speak.

Polydub uses ISO 639-1 codes internally ("es", "pt") and converts at two boundaries only: the
user-facing names here ("Spanish", "Portuguese (Brazil)") and each engine's own codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    name: str  # HeyGen's display name, e.g. "Spanish (Spain)"
    code: str  # ISO 639-1, e.g. "es"
    locale: str | None = None  # e.g. "es-ES"; None for the language in general


# The names HeyGen's list uses for the languages Polydub can serve with some engine. The base
# name ("Spanish") is the one users type most; regional variants share the engines of the base.
_LANGUAGES: tuple[Language, ...] = (
    Language("English", "en"),
    Language("English (United States)", "en", "en-US"),
    Language("English (United Kingdom)", "en", "en-GB"),
    Language("Spanish", "es"),
    Language("Spanish (Spain)", "es", "es-ES"),
    Language("Spanish (Mexico)", "es", "es-MX"),
    Language("Portuguese", "pt"),
    Language("Portuguese (Brazil)", "pt", "pt-BR"),
    Language("Portuguese (Portugal)", "pt", "pt-PT"),
    Language("French", "fr"),
    Language("French (France)", "fr", "fr-FR"),
    Language("German", "de"),
    Language("Italian", "it"),
    Language("Catalan", "ca"),
    Language("Galician", "gl"),
    Language("Dutch", "nl"),
    Language("Polish", "pl"),
    Language("Russian", "ru"),
    Language("Ukrainian", "uk"),
    Language("Turkish", "tr"),
    Language("Arabic", "ar"),
    Language("Hindi", "hi"),
    Language("Japanese", "ja"),
    Language("Korean", "ko"),
    Language("Chinese", "zh"),
    Language("Chinese (Mandarin, Simplified)", "zh", "zh-CN"),
    Language("Indonesian", "id"),
    Language("Vietnamese", "vi"),
    Language("Swedish", "sv"),
    Language("Danish", "da"),
    Language("Norwegian", "no"),
    Language("Finnish", "fi"),
    Language("Greek", "el"),
    Language("Czech", "cs"),
    Language("Romanian", "ro"),
    Language("Hungarian", "hu"),
)

_BY_NAME = {lang.name.casefold(): lang for lang in _LANGUAGES}
_BY_CODE: dict[str, Language] = {}
for _lang in _LANGUAGES:
    _BY_CODE.setdefault(_lang.code, _lang)
    if _lang.locale:
        _BY_CODE.setdefault(_lang.locale.casefold(), _lang)


def all_languages() -> tuple[Language, ...]:
    return _LANGUAGES


def resolve_language(value: str) -> Language:
    """Find a language by HeyGen name ("Spanish"), ISO code ("es") or locale ("pt-BR").

    Raises:
        ValueError: the value names no known language; the message lists a few valid names.
    """
    key = value.strip().casefold()
    lang = _BY_NAME.get(key) or _BY_CODE.get(key) or _BY_CODE.get(key.replace("_", "-"))
    if lang is None:
        examples = ", ".join(lang.name for lang in _LANGUAGES[:8])
        raise ValueError(f"unknown language {value!r}; use a name such as {examples}")
    return lang


def language_name(code: str) -> str:
    """The HeyGen base name of an ISO 639-1 code, or the code itself when unknown."""
    lang = _BY_CODE.get(code.casefold())
    return lang.name if lang else code
