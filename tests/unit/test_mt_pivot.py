"""Pivot routes: which pairs two chained engines serve, and that direct engines always win."""

from __future__ import annotations

from polydub.engines.mt.base import TranslationRequest, Translator
from polydub.engines.mt.pivot import PivotTranslator, pivot_routes
from polydub.engines.mt.select import choose_translator


class _Tagging(Translator):
    """Serves fixed pairs; its output names each step, so a chain shows in the text."""

    def __init__(self, name: str, pairs: set[tuple[str, str]]) -> None:
        self.name, self._pairs, self.requests = name, pairs, []

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._pairs)

    def _translate_batch(self, texts, source, target, request):
        self.requests.append(request)
        return [f"{t} |{self.name}:{source}>{target}" for t in texts]


def _apertium_like():
    return _Tagging("rules", {("en", "es"), ("es", "en"), ("es", "fr"), ("fr", "es"), ("es", "it")})


def test_missing_pairs_are_served_through_the_pivot_that_connects_them():
    (route,) = pivot_routes([_apertium_like()])
    assert route.via == "es"
    assert route.pairs() == {("en", "fr"), ("en", "it"), ("fr", "en"), ("fr", "it")}
    assert route.name == "rules via es"
    assert route.route("en", "fr") == ["rules en->es", "rules es->fr"]


def test_a_chained_translation_runs_both_steps_and_aims_only_the_last_at_the_length():
    rules = _apertium_like()
    (route,) = pivot_routes([rules])
    request = TranslationRequest(context="ctx", max_chars=[40], glossary={"Polydub": "Polydub"})
    assert route.translate(["Hello"], "en", "fr", request) == ["Hello |rules:en>es |rules:es>fr"]
    first, second = rules.requests
    assert first.max_chars is None and first.context == "ctx"
    assert second.max_chars == [40] and second.glossary == {"Polydub": "Polydub"}


def test_direct_engines_serve_their_pairs_and_pivots_never_shadow_them():
    direct_fr = _Tagging("neural", {("en", "fr")})
    translators = [direct_fr, _apertium_like()]
    routes = pivot_routes(translators)
    assert all(("en", "fr") not in r.pairs() for r in routes)
    assert choose_translator([*translators, *routes], "en", "fr") is direct_fr
    assert isinstance(choose_translator([*translators, *routes], "en", "it"), PivotTranslator)


def test_an_engine_for_any_pair_leaves_nothing_to_pivot():
    chat = _Tagging("chat", {("*", "*")})
    assert pivot_routes([chat, _apertium_like()]) == []


def test_legs_may_come_from_different_engines():
    neural = _Tagging("neural", {("en", "pt"), ("pt", "en")})
    routes = pivot_routes([neural, _apertium_like()])
    by_pair = {pair: r for r in routes for pair in r.pairs()}
    assert by_pair[("pt", "es")].name == "neural+rules via en"
    assert by_pair[("pt", "es")].route("pt", "es") == ["neural pt->en", "rules en->es"]


class _Shortening(_Tagging):
    """A last leg that can word a line shorter (as a chat engine can)."""

    shortens_by = "length request"

    def shorten(self, texts, translations, source, target, request):
        self.requests.append(request)
        return [f"short {t} |{source}>{target}" for t in texts]


def test_a_route_shortens_with_its_last_leg_only():
    rules = _apertium_like()
    assert pivot_routes([rules])[0].shortens_by is None  # Apertium cannot; nor its route
    chat_fr = _Shortening("chat", {("es", "fr")})
    (route,) = pivot_routes([_Tagging("rules", {("en", "es")}), chat_fr])
    assert route.shortens_by == "length request"
    request = TranslationRequest(context="ctx", max_chars=[20])
    shorter = route.shorten(["Hello"], ["Bonjour à vous"], "en", "fr", request)
    # The source goes through the first leg again; the last leg words it within the budget.
    assert shorter == ["short Hello |rules:en>es |es>fr"]
    assert chat_fr.requests[-1].max_chars == [20]
