"""Which writing systems a language is written in, and how much of a text is in them.

Speech recognition asked for Hindi can answer in English (a translation) or in Urdu letters;
the share of a text's letters in its language's own scripts is how that is noticed. Scripts
are named as Unicode names characters ("DEVANAGARI LETTER KA" is DEVANAGARI), so no table of
code point ranges is needed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

LATIN = frozenset({"LATIN"})
# Below this share of letters in its language's own scripts, a text is not in that language
# (Japanese keeps some Latin brand names; a translation into English has none of its letters).
MIN_SCRIPT_SHARE = 0.5
_CJK = frozenset({"HAN", "HIRAGANA", "KATAKANA"})

# Languages whose text is not written in Latin letters (ISO 639-1, as Whisper names them).
_NON_LATIN: dict[str, frozenset[str]] = {
    "hi": frozenset({"DEVANAGARI"}),
    "mr": frozenset({"DEVANAGARI"}),
    "ne": frozenset({"DEVANAGARI"}),
    "sa": frozenset({"DEVANAGARI"}),
    "bn": frozenset({"BENGALI"}),
    "as": frozenset({"BENGALI"}),
    "pa": frozenset({"GURMUKHI"}),
    "gu": frozenset({"GUJARATI"}),
    "ta": frozenset({"TAMIL"}),
    "te": frozenset({"TELUGU"}),
    "kn": frozenset({"KANNADA"}),
    "ml": frozenset({"MALAYALAM"}),
    "si": frozenset({"SINHALA"}),
    "ur": frozenset({"ARABIC"}),
    "ar": frozenset({"ARABIC"}),
    "fa": frozenset({"ARABIC"}),
    "ps": frozenset({"ARABIC"}),
    "sd": frozenset({"ARABIC"}),
    "ug": frozenset({"ARABIC"}),
    "he": frozenset({"HEBREW"}),
    "yi": frozenset({"HEBREW"}),
    "ru": frozenset({"CYRILLIC"}),
    "uk": frozenset({"CYRILLIC"}),
    "be": frozenset({"CYRILLIC"}),
    "bg": frozenset({"CYRILLIC"}),
    "mk": frozenset({"CYRILLIC"}),
    "kk": frozenset({"CYRILLIC"}),
    "tg": frozenset({"CYRILLIC"}),
    "tt": frozenset({"CYRILLIC"}),
    "ba": frozenset({"CYRILLIC"}),
    "mn": frozenset({"CYRILLIC"}),
    "sr": frozenset({"CYRILLIC", "LATIN"}),
    "el": frozenset({"GREEK"}),
    "hy": frozenset({"ARMENIAN"}),
    "ka": frozenset({"GEORGIAN"}),
    "am": frozenset({"ETHIOPIC"}),
    "th": frozenset({"THAI"}),
    "lo": frozenset({"LAO"}),
    "km": frozenset({"KHMER"}),
    "my": frozenset({"MYANMAR"}),
    "bo": frozenset({"TIBETAN"}),
    "zh": frozenset({"HAN"}),
    "yue": frozenset({"HAN"}),
    "ja": _CJK,
    "ko": frozenset({"HANGUL", "HAN"}),
}
# Whisper's other languages, written in Latin letters.
_LATIN_LANGUAGES = frozenset(
    "af az br bs ca cs cy da de en es et eu fi fo fr gl ha haw hr ht hu id is it jw la lb ln "
    "lt lv mg mi ms mt nl nn no oc pl pt ro sk sl sn so sq su sv sw tk tl tr uz vi yo".split()
)


def expected_scripts(language: str) -> frozenset[str] | None:
    """The scripts `language` is written in; None for a language this table does not know."""
    code = (language or "").lower()
    if code in _NON_LATIN:
        return _NON_LATIN[code]
    return LATIN if code in _LATIN_LANGUAGES else None


@lru_cache(maxsize=4096)
def script_of(character: str) -> str | None:
    """The script of a letter or combining mark, or None for digits, punctuation and spaces.

    Combining marks shared by every script (COMBINING ACUTE ACCENT) count as no script.
    """
    if not unicodedata.category(character).startswith(("L", "M")):
        return None
    name = unicodedata.name(character, "")
    for width in ("FULLWIDTH ", "HALFWIDTH "):
        name = name.removeprefix(width)
    if name.startswith("CJK") and "IDEOGRAPH" in name:
        return "HAN"
    first = name.split(" ", 1)[0].split("-", 1)[0]
    if not first or first == "COMBINING" or first == "MODIFIER":
        return None
    return first


def script_share(text: str, language: str) -> float | None:
    """Share of the letters of `text` that are written in `language`'s own scripts.

    None when the language's scripts are unknown or the text has no letters at all.
    """
    scripts = expected_scripts(language)
    if scripts is None:
        return None
    found = [s for s in map(script_of, text) if s is not None]
    if not found:
        return None
    return sum(s in scripts for s in found) / len(found)


_KNOWN_SCRIPTS = frozenset().union(LATIN, _CJK, *_NON_LATIN.values())


def is_foreign(character: str, scripts: frozenset[str]) -> bool:
    """True for a letter, mark or sign of a known script outside `scripts`.

    Script-specific punctuation counts too (ARABIC FULL STOP for Hindi); shared punctuation,
    digits and spaces never do.
    """
    script = script_of(character)
    if script is None:
        first = unicodedata.name(character, "").split(" ", 1)[0]
        script = first if first in _KNOWN_SCRIPTS else None
    return script is not None and script not in scripts
