"""Text handling around translation engines: sentence splitting and LLM answer parsing."""

from __future__ import annotations

import json

import pytest

from polydub.engines.mt.chat_prompt import build_messages, parse_translations, plain_text
from polydub.engines.mt.sentences import split_sentences, translate_by_sentence


@pytest.mark.parametrize(
    ("case", "text", "sentences"),
    [
        ("plain", "I said no. He left!", ["I said no.", "He left!"]),
        ("abbreviations", "Mr. Smith met Dr. Jones. Fine.", ["Mr. Smith met Dr. Jones.", "Fine."]),
        ("quotes", 'He said "no." Then he left.', ['He said "no."', "Then he left."]),
        (
            "lowercase after dots",
            "Wait... what? Really?! OK.",
            ["Wait... what?", "Really?!", "OK."],
        ),
        ("spanish", "¿Qué? ¡Nada! Bien.", ["¿Qué?", "¡Nada!", "Bien."]),
        ("decimals", "Version 2.5 is out. Get it.", ["Version 2.5 is out.", "Get it."]),
        ("line breaks", "line one\nline two\n\n", ["line one", "line two"]),
        ("blank", "   ", []),
    ],
)
def test_split_sentences(case, text, sentences):
    assert split_sentences(text) == sentences, case


def test_translate_by_sentence_batches_distinct_sentences_once():
    calls = []

    def upper(sentences):
        calls.append(list(sentences))
        return [s.upper() for s in sentences]

    out = translate_by_sentence(["Yes. No.", "Yes.", "", "Go!"], upper)
    assert out == ["YES. NO.", "YES.", "", "GO!"]
    assert calls == [["Yes.", "No.", "Go!"]]


def test_messages_carry_lines_context_length_targets_and_glossary():
    messages = build_messages(
        ["Hello", "Bye"],
        "English",
        "Spanish",
        context="A: Hello\nB: Bye",
        max_chars=[12, None],
        glossary={"Polydub": "Polydub", "sign-up": "registro"},
    )
    system, user = messages[0]["content"], json.loads(messages[1]["content"])
    assert "from English to Spanish" in system
    assert '"Polydub" -> "Polydub" (keep untranslated)' in system
    assert '"sign-up" -> "registro"' in system
    assert user == {
        "context": "A: Hello\nB: Bye",
        "lines": [{"id": 1, "text": "Hello", "max_chars": 12}, {"id": 2, "text": "Bye"}],
    }


@pytest.mark.parametrize(
    "answer",
    [
        '{"translations": [{"id": 1, "text": "Hola"}, {"id": 2, "text": "Adiós"}]}',
        '```json\n{"translations": ["Hola", "Adiós"]}\n```',
        'Sure! Here you go:\n[{"id": 2, "text": "Adiós"}, {"id": 1, "text": "Hola"}]\nEnjoy.',
        '{"translations": [{"id": 1, "translation": "Hola"}, {"id": 2, "translation": "Adiós"}]}',
    ],
)
def test_parse_translations_accepts_common_answer_shapes(answer):
    assert parse_translations(answer, 2) == ["Hola", "Adiós"]


@pytest.mark.parametrize(
    "answer",
    ['{"translations": ["Hola"]}', "Hola\nAdiós", '{"translations": [1, 2]}', ""],
)
def test_parse_translations_refuses_wrong_counts_and_shapes(answer):
    assert parse_translations(answer, 2) is None


def test_plain_text_unwraps_single_answers():
    assert plain_text('```\n{"translations": ["Hola"]}\n```') == "Hola"
    assert plain_text('"Hola, amigo."') == "Hola, amigo."
    assert plain_text("Hola") == "Hola"
