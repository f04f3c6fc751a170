"""Scripts of characters and languages: how a transcript in the wrong writing is noticed."""

from __future__ import annotations

import pytest

from polydub.domain.writing_system import expected_scripts, is_foreign, script_of, script_share

DEVANAGARI = frozenset({"DEVANAGARI"})


@pytest.mark.parametrize(
    ("character", "script"),
    [
        ("क", "DEVANAGARI"),
        ("ी", "DEVANAGARI"),  # a vowel sign (combining mark) belongs to its script
        ("a", "LATIN"),
        ("é", "LATIN"),
        ("Ａ", "LATIN"),  # fullwidth
        ("ア", "KATAKANA"),
        ("ー", "KATAKANA"),  # KATAKANA-HIRAGANA PROLONGED SOUND MARK
        ("の", "HIRAGANA"),
        ("漢", "HAN"),
        ("한", "HANGUL"),
        ("ж", "CYRILLIC"),
        ("ک", "ARABIC"),
        ("1", None),
        (",", None),
        (" ", None),
        ("\u0301", None),  # COMBINING ACUTE ACCENT: shared by every script
    ],
)
def test_script_of_a_character(character, script):
    assert script_of(character) == script


def test_share_of_letters_in_the_languages_own_scripts():
    assert script_share("Today, the weather is very good.", "hi") == 0.0
    assert script_share("आज मौसम बहुत अच्छा है, 2024!", "hi") == 1.0
    assert script_share("آج موسم بہت اچھا ہے", "hi") == 0.0  # Urdu letters for Hindi
    brand = script_share("新しいiPhoneを買いました", "ja")
    assert 0.5 < brand < 1.0  # a Latin brand name inside Japanese is still Japanese
    assert script_share("Hoy hace buen tiempo", "es") == 1.0
    assert script_share("Привет", "es") == 0.0


def test_unknown_languages_and_letterless_text_are_not_judged():
    assert expected_scripts("xx") is None
    assert script_share("anything", "xx") is None
    assert script_share("123, ...!", "hi") is None
    assert expected_scripts("EN") == frozenset({"LATIN"})


def test_foreign_signs_include_another_scripts_punctuation():
    assert is_foreign("a", DEVANAGARI)
    assert is_foreign("\u06d4", DEVANAGARI)  # ARABIC FULL STOP
    assert not is_foreign("।", DEVANAGARI)  # DEVANAGARI DANDA
    assert not is_foreign(",", DEVANAGARI)
    assert not is_foreign("7", DEVANAGARI)
    assert not is_foreign("。", frozenset({"LATIN"}))  # shared CJK punctuation is no letter
