"""Whisper tokens that would write letters outside a language's scripts, to suppress them.

Whisper base asked to transcribe Hindi sometimes answers with an English translation, or in
Urdu letters, depending on tiny differences in the int8 kernels a CPU picks. Suppressing every
token that spells a letter of another script leaves the decoder no way out of the language's
own writing. Tokens are byte-level BPE pieces: a piece may end inside a multi-byte character,
so a trailing fragment is allowed only when some permitted character starts with it.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache

from polydub.domain.writing_system import is_foreign, script_of


@lru_cache(maxsize=1)
def _byte_of_symbol() -> dict[str, int]:
    """GPT-2's byte-level alphabet: the printable symbol that stands for each byte."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {chr(code): byte for byte, code in zip(printable, codes, strict=True)}


def token_bytes(piece: str) -> bytes | None:
    """The raw bytes of a byte-level BPE piece; None for special tokens such as <|en|>."""
    table = _byte_of_symbol()
    try:
        return bytes(table[symbol] for symbol in piece)
    except KeyError:
        return None


@lru_cache(maxsize=16)
def _allowed_prefixes(scripts: frozenset[str]) -> frozenset[bytes]:
    """Every proper UTF-8 prefix of a character that may be written in `scripts`."""
    prefixes: set[bytes] = set()
    for code in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        character = chr(code)
        if unicodedata.category(character) in ("Cn", "Co", "Cs"):
            continue
        if script_of(character) is not None and script_of(character) not in scripts:
            continue
        encoded = character.encode("utf-8")
        prefixes.update(encoded[:k] for k in range(1, len(encoded)))
    return frozenset(prefixes)


def _split_piece(raw: bytes) -> tuple[str, bytes]:
    """(the characters a piece spells completely, the unfinished character it ends with).

    Leading continuation bytes finish a character begun by an earlier token: they are not
    judged here (their first byte was).
    """
    start = 0
    while start < len(raw) and 0x80 <= raw[start] <= 0xBF:
        start += 1
    body = raw[start:]
    for cut in range(len(body), max(len(body) - 4, -1), -1):
        try:
            return body[:cut].decode("utf-8"), body[cut:]
        except UnicodeDecodeError:
            continue
    return "", b""  # not UTF-8 at all: nothing it could spell is judged


def spells_foreign_letters(raw: bytes, scripts: frozenset[str]) -> bool:
    """True when a token's bytes write (or begin) a letter outside `scripts`."""
    text, tail = _split_piece(raw)
    if any(is_foreign(character, scripts) for character in text):
        return True
    return bool(tail) and tail not in _allowed_prefixes(scripts)


def foreign_script_tokens(vocabulary: dict[str, int], scripts: frozenset[str]) -> list[int]:
    """Ids of the tokens in `vocabulary` (piece -> id) that spell letters outside `scripts`."""
    suppressed = []
    for piece, token_id in vocabulary.items():
        raw = token_bytes(piece)
        if raw is not None and spells_foreign_letters(raw, scripts):
            suppressed.append(token_id)
    return sorted(suppressed)
