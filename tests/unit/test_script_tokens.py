"""Which Whisper tokens are suppressed to hold a transcript to a language's scripts."""

from __future__ import annotations

from polydub.engines.asr.script_tokens import (
    _byte_of_symbol,
    foreign_script_tokens,
    spells_foreign_letters,
    token_bytes,
)

DEVANAGARI = frozenset({"DEVANAGARI"})
LATIN = frozenset({"LATIN"})


def piece(raw: bytes) -> str:
    """The byte-level BPE spelling of `raw` (the inverse of token_bytes)."""
    symbol_of = {byte: symbol for symbol, byte in _byte_of_symbol().items()}
    return "".join(symbol_of[b] for b in raw)


def test_byte_level_pieces_map_back_to_their_bytes():
    assert len(set(_byte_of_symbol().values())) == 256
    assert token_bytes("Ġhello") == b" hello"
    for raw in (b" \xe0\xa4", "नमस्ते".encode(), bytes(range(256))):
        assert token_bytes(piece(raw)) == raw
    assert token_bytes("<|endoftext|>") == b"<|endoftext|>"  # callers leave specials out
    assert token_bytes("\u4e00") is None  # not a byte-level symbol


def test_letters_of_other_scripts_are_foreign_digits_and_punctuation_are_not():
    assert spells_foreign_letters(b" the", DEVANAGARI)
    assert spells_foreign_letters("ہے".encode(), DEVANAGARI)  # Urdu letters
    assert spells_foreign_letters("\u06d4".encode(), DEVANAGARI)  # Urdu full stop
    assert not spells_foreign_letters(" नमस्ते".encode(), DEVANAGARI)
    assert not spells_foreign_letters(b" 42,", DEVANAGARI)
    assert spells_foreign_letters(" नमस्ते".encode(), LATIN)


def test_unfinished_characters_are_judged_by_what_they_can_begin():
    ka = "क".encode()  # e0 a4 95
    assert not spells_foreign_letters(ka[:2], DEVANAGARI)  # may become Devanagari
    assert not spells_foreign_letters(ka[:1], DEVANAGARI)
    assert spells_foreign_letters("ک".encode()[:1], DEVANAGARI)  # only Arabic-range letters
    assert not spells_foreign_letters(ka[1:], DEVANAGARI)  # finishes an earlier token's char
    assert spells_foreign_letters(b" a" + ka[:2], DEVANAGARI)  # a Latin letter before it


def test_vocabulary_ids_of_foreign_pieces():
    vocabulary = {
        piece(b" the"): 0,
        piece(" नमस्ते".encode()): 1,
        piece(b","): 2,
        piece("ہ".encode()): 3,
        piece("क".encode()[:2]): 4,
    }
    assert foreign_script_tokens(vocabulary, DEVANAGARI) == [0, 3]
    assert foreign_script_tokens(vocabulary, LATIN) == [1, 3, 4]
