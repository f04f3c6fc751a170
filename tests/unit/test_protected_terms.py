"""Names, numbers and addresses kept as said; words an engine left untranslated; the
per-line quality signal."""

from __future__ import annotations

import pytest

from polydub.engines.mt.lexicon import lexicon_for
from polydub.pipeline.protected_terms import protected_terms, untranslated_words
from polydub.pipeline.translation_quality import chrf, line_quality, sentence_signal

TEXTS = [
    "Hi, I'm Jon and Mr. Chief Justice Smith met Maria in London.",
    "Polydub costs 3.5 dollars at 3pm, see https://polydub.example/docs or mail jon@x.example.",
    "In 2019 we had 10,000 users.",
]


def test_addresses_and_numbers_are_kept_without_a_lexicon():
    kept = [t.source for t in protected_terms(TEXTS, None)]
    assert kept == ["https://polydub.example/docs", "jon@x.example", "3.5", "2019", "10,000"]
    assert all(t.case_sensitive and t.keeps_source for t in protected_terms(TEXTS, None))


def test_the_lexicon_tells_names_from_words_and_places():
    english = lexicon_for("en")
    if english is None:
        pytest.skip("no Apertium analyser for English installed")
    kept = {t.source for t in protected_terms(TEXTS, english)}
    assert {"Jon", "Maria", "Smith", "Polydub"} <= kept  # names, a surname, a product
    assert not {"Chief", "Justice", "London", "Hi", "Mr"} & kept  # words and a known place


def test_the_users_glossary_wins_over_detection():
    kept = protected_terms(["Ask Polydub about 2019."], None, glossary_sources={"2019"})
    assert [t.source for t in kept] == []


def test_untranslated_words_are_those_the_target_does_not_have():
    spanish = lexicon_for("es")
    if spanish is None:
        pytest.skip("no Apertium analyser for Spanish installed")
    assert untranslated_words(
        "Save this folder to the cloud", "Guarda esta folder a la cloud", spanish, set()
    ) == ["folder", "cloud"]
    # Shared words Spanish has too, and terms kept on purpose, are not untranslated.
    assert untranslated_words("The hotel idea", "La idea del hotel", spanish, set()) == []
    assert (
        untranslated_words(
            "Visit www.polydub.example",
            "Visita www.polydub.example",
            spanish,
            {"www.polydub.example"},
        )
        == []
    )


def test_chrf_matches_the_published_definition():
    # sacrebleu 2.6.0's sentence_chrf gives these on the same pairs.
    assert chrf("the cat sat on the mat", "the cat sat on a mat") == pytest.approx(72.08, abs=0.01)
    assert chrf(
        "Which folder should I save this message to?", "What folder must I save this message at?"
    ) == pytest.approx(57.71, abs=0.01)
    assert chrf("abc", "xyz") == 0.0


def test_quality_signal_ranks_garbled_and_untranslated_lines_lower():
    good = sentence_signal("Which folder?", "¿Qué carpeta?", back_translation="Which folder?")
    garbled = sentence_signal("All right.", "Bien.", back_translation="Well.")
    assert good.score > garbled.score
    clean = line_quality(0, good, [])
    leftover = line_quality(1, good, ["folder"])
    assert clean.score == 1.0 and leftover.score < clean.score
    # Without a reverse engine, only the length and leftover words count.
    unknown = sentence_signal("Hello there, friend.", "Hola.", back_translation=None)
    assert unknown.back_translation_chrf is None and unknown.score < 1.0
