"""Glossary parsing, placeholder protection, restoration and violation reports."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polydub.domain.glossary import Glossary, GlossaryTerm, parse_glossary_csv
from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.pipeline.glossary import (
    find_terms,
    load_glossary_csv,
    protect,
    restore,
    translate_with_glossary,
)


def _glossary(*terms: tuple[str, str] | GlossaryTerm) -> Glossary:
    return Glossary(
        terms=tuple(t if isinstance(t, GlossaryTerm) else GlossaryTerm(source=t[0], target=t[1])
                    for t in terms)
    )  # fmt: skip


class WordSwap(Translator):
    """A real (if tiny) engine: translates word by word from a dictionary, like a toy MT."""

    name = "word-swap"

    def __init__(self, words: dict[str, str], *, mangle: dict[str, str] | None = None) -> None:
        self.words = words
        self.mangle = mangle or {}
        self.requests: list[TranslationRequest] = []

    def pairs(self) -> set[tuple[str, str]]:
        return {("en", "es")}

    def _translate_batch(self, texts, source, target, request):
        self.requests.append(request)
        out = []
        for text in texts:
            for old, new in self.mangle.items():
                text = text.replace(old, new)
            out.append(re.sub(r"\w+", lambda m: self.words.get(m[0].lower(), m[0]), text))
        return out


class ObedientLLM(WordSwap):
    """An instruction-following engine: applies the request's glossary itself."""

    name = "obedient"
    follows_instructions = True

    def _translate_batch(self, texts, source, target, request):
        for src, tgt in request.glossary.items():
            texts = [re.sub(re.escape(src), tgt, t, flags=re.IGNORECASE) for t in texts]
        return super()._translate_batch(texts, source, target, request)


# --- CSV -----------------------------------------------------------------------------------


def test_parse_csv_with_header_and_case_column():
    glossary = parse_glossary_csv(
        "source,target,case_sensitive\nPolydub,,\nsign-up,registro,no\nAPI,API,yes\n"
    )
    assert [(t.source, t.required_target, t.case_sensitive) for t in glossary.terms] == [
        ("Polydub", "Polydub", False),
        ("sign-up", "registro", False),
        ("API", "API", True),
    ]


def test_parse_heygen_style_two_columns_without_header_semicolons_and_bom():
    glossary = parse_glossary_csv('\ufeffReformer;Reformer\n\n"Hello, world";"Hola, mundo"\n')
    assert glossary.as_dict() == {"Reformer": "Reformer", "Hello, world": "Hola, mundo"}


def test_parse_csv_rejects_a_row_without_target_column_with_its_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_glossary_csv("cat,gato\ndog\n")


def test_duplicate_sources_keep_the_first():
    glossary = _glossary(("cat", "gato"), ("Cat", "felino"))
    assert glossary.as_dict() == {"cat": "gato"}


def test_load_glossary_csv_names_the_file(tmp_path):
    good = tmp_path / "g.csv"
    good.write_text("source,target\nPolydub,Polydub\n", encoding="utf-8")
    assert load_glossary_csv(good).as_dict() == {"Polydub": "Polydub"}
    bad = tmp_path / "bad.csv"
    bad.write_text("only-one-column\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.csv"):
        load_glossary_csv(bad)


# --- protect / restore ---------------------------------------------------------------------


def test_protect_matches_whole_words_case_insensitively_longest_first():
    glossary = _glossary(("York", "Yorky"), ("New York", "Nueva York"), ("cat", "gato"))
    protected, mapping = protect("I love new  york, York and catalogs. Cat!", glossary)
    assert protected == "I love XTERM0, XTERM1 and catalogs. XTERM2!"
    assert {p: t.source for p, t in mapping.items()} == {
        "XTERM0": "New York",
        "XTERM1": "York",
        "XTERM2": "cat",
    }


def test_repeated_term_shares_one_placeholder():
    protected, mapping = protect("Polydub, polydub, POLYDUB", _glossary(("Polydub", "")))
    assert protected == "XTERM0, XTERM0, XTERM0"
    assert len(mapping) == 1


def test_case_sensitive_term_ignores_other_casings():
    glossary = _glossary(GlossaryTerm(source="API", case_sensitive=True))
    assert protect("api and API", glossary)[0] == "api and XTERM0"


def test_restore_tolerates_mangled_placeholders_and_reports_lost_ones():
    glossary = _glossary(("Polydub", ""), ("sign-up", "registro"), ("cat", "gato"))
    protected, mapping = protect("Polydub sign-up for the cat", glossary)
    assert protected == "XTERM0 XTERM1 for the XTERM2"
    restored, missing = restore("xterm 0 el X-TERM1 para el", mapping)
    assert restored == "Polydub el registro para el"
    assert [t.source for t in missing] == ["cat"]


def test_find_terms_in_order_of_first_occurrence():
    glossary = _glossary(("a", "b"), ("dog", "perro"), ("cat", "gato"))
    assert [t.source for t in find_terms("cat, dog, cat", glossary)] == ["cat", "dog"]


_WORDS = st.sampled_from(["the", "Polydub", "polydub", "New", "York", "sign-up", "cat", "42"])
_SEPARATORS = st.sampled_from([" ", ", ", ". ", "! ", "\n", " (", ") "])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_WORDS, _SEPARATORS), max_size=15))
def test_identity_translation_round_trips_modulo_term_spelling(pieces):
    glossary = _glossary(("Polydub", ""), ("New York", "New York"), ("sign-up", "sign-up"))
    text = "".join(word + sep for word, sep in pieces)
    protected, mapping = protect(text, glossary)
    restored, missing = restore(protected, mapping)
    assert missing == []
    # Everything comes back unchanged except the terms, which take the glossary's spelling.
    expected = re.sub(r"(?i)(?<!\w)new\s+york(?!\w)", "New York", text)
    expected = re.sub(r"(?i)(?<!\w)polydub(?!\w)", "Polydub", expected)
    assert restored == expected


# --- translate_with_glossary ---------------------------------------------------------------

_ES = {"the": "el", "cat": "gato", "is": "es", "great": "genial", "sign": "firmar", "up": "arriba"}


def test_placeholders_force_terms_through_a_plain_engine():
    engine = WordSwap(_ES)
    glossary = _glossary(("Polydub", ""), ("sign-up", "registro"))
    texts = ["Polydub is great", "the sign-up", "the cat", ""]
    translations, violations = translate_with_glossary(engine, texts, "en", "es", glossary)
    assert translations == ["Polydub es genial", "el registro", "el gato", ""]
    assert violations == []
    # The engine saw placeholders, never the terms.
    assert engine.requests[0].glossary == {"Polydub": "Polydub", "sign-up": "registro"}


def test_lost_placeholder_is_reported_per_text():
    engine = WordSwap(_ES, mangle={"XTERM1": "something"})
    glossary = _glossary(("Polydub", ""), ("cat", "minino"))
    texts = ["Polydub and the cat", "the cat"]
    translations, violations = translate_with_glossary(engine, texts, "en", "es", glossary)
    assert translations == ["Polydub and el something", "el minino"]
    assert [(v.index, v.source, v.target, v.reason) for v in violations] == [
        (0, "cat", "minino", "placeholder lost")
    ]


def test_instruction_following_engine_gets_the_glossary_and_is_checked():
    engine = ObedientLLM(_ES)
    glossary = _glossary(("cat", "minino"), ("dog", "perro"))
    translations, violations = translate_with_glossary(
        engine, ["the cat", "the cat is great"], "en", "es", glossary, TranslationRequest("ctx")
    )
    assert engine.requests[0].glossary == {"cat": "minino"}  # only terms that occur
    assert engine.requests[0].context == "ctx"
    assert translations == ["el minino", "el minino es genial"]
    assert violations == []

    ignored = WordSwap(_ES)
    ignored.follows_instructions = True  # claims to follow, but translates the term anyway
    _, violations = translate_with_glossary(ignored, ["the cat"], "en", "es", glossary)
    assert [(v.source, v.reason) for v in violations] == [("cat", "term missing")]


def test_no_glossary_translates_plainly():
    translations, violations = translate_with_glossary(WordSwap(_ES), ["the cat"], "en", "es", None)
    assert (translations, violations) == (["el gato"], [])
