"""Debian's Apertium (eng-spa pair) on real sentences, batched through one process."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from mt_helpers import sentences_per_second, words

from polydub.domain.glossary import Glossary, GlossaryTerm
from polydub.engines.mt.apertium import ApertiumTranslator
from polydub.pipeline.glossary import translate_with_glossary

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("apertium") is None, reason="Debian apertium not installed"),
]


@pytest.fixture(scope="module")
def engine():
    engine = ApertiumTranslator()
    if not engine.supports("en", "es"):
        pytest.skip("apertium-eng-spa not installed")
    return engine


def test_pairs_come_from_the_installed_modes(engine):
    listing = subprocess.run(["apertium", "-l"], capture_output=True, text=True).stdout.split()
    assert "eng-spa" in listing and engine.mode("en", "es") == "eng-spa"
    assert ("en", "es") in engine.pairs() and ("es", "en") in engine.pairs()
    assert all(len(code) in (2, 3) for pair in engine.pairs() for code in pair)


def test_english_to_spanish_keeps_the_content(engine):
    out = engine.translate(
        ["The cat is on the table.", "I have two dogs.", "Where is the train station?"], "en", "es"
    )
    assert {"gato", "mesa"} <= words(out[0])
    assert {"dos", "perros"} <= words(out[1])
    assert {"dónde", "tren"} <= words(out[2])  # rough: "Dónde es la canal de tren?"


def test_batch_matches_line_by_line_with_tricky_inputs(engine):
    texts = [
        "Hello my friend",
        "",
        "The house is red\nand the car is big",  # a line break inside one text
        "   ",
        '"Quoted" text, with commas; and (brackets)!',
        "[tags] <b>bold</b> & back\\slash ^caret$ @at *star #hash",
        "...",
        "?!",
        "Última línea",
        "It was big",
        "Wait. Two sentences here.",
        "I saw a dog.\n\nIt was big.",  # a blank line inside one text
    ]
    batch = engine.translate(texts, "en", "es")
    assert len(batch) == len(texts)
    assert batch[1] == "" and batch[3] == ""
    one_by_one = [engine.translate([t], "en", "es")[0] for t in texts]
    # One process for the batch must not shift, merge or split lines.
    assert batch == one_by_one
    assert {"casa", "roja", "coche", "grande"} <= words(batch[2])
    assert "\n" not in batch[2] and "\n" not in batch[11]


def test_speed(engine):
    sentences = [
        f"The meeting starts at {h} o'clock and ends an hour later." for h in range(1, 201)
    ]
    rate = sentences_per_second(lambda s: engine.translate(s, "en", "es"), sentences)
    assert rate > 50  # about 700/s here: one process per batch


def test_glossary_terms_survive(engine):
    glossary = Glossary(
        terms=(
            GlossaryTerm(source="Polydub"),
            GlossaryTerm(source="Reformer", target="Reformer"),
            GlossaryTerm(source="table", target="pupitre"),
        )
    )
    texts = ["Polydub is a tool.", "The Reformer is a model.", "The cat is on the table."]
    out, violations = translate_with_glossary(engine, texts, "en", "es", glossary)
    assert violations == []
    assert "Polydub" in out[0] and "herramienta" in words(out[0])
    assert "Reformer" in out[1] and "modelo" in words(out[1])
    assert {"gato", "pupitre"} <= words(out[2]) and "mesa" not in words(out[2])


def test_french_and_italian_from_english_go_through_spanish_with_installed_pairs():
    from polydub.engines.mt.select import build_translators, choose_translator

    translators = build_translators()
    for target, expected in (("fr", "dossier"), ("it", "cartella")):
        try:
            route = choose_translator(translators, "en", target)
        except Exception:
            pytest.skip(f"apertium es-{target} not installed")
        assert route.route("en", target) == ["apertium en->es", f"apertium es->{target}"]
        (text,) = route.translate(["Which folder should I save this message to?"], "en", target)
        assert expected in text.lower(), text
