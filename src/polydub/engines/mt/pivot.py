"""Pivot routes: two engines chained through a third language where no engine serves a pair.

Apertium ships EN<->ES and ES<->FR, ES<->IT, ES<->PT but no EN->FR or EN->IT; chaining
EN->ES->FR dubs French from an English video out of the box. Every step through a pivot loses
some meaning, so a route is used only where no engine serves the pair directly, and it says so
(`route`, `expected_quality`) for the languages listing and the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from polydub.engines.mt.base import TranslationRequest, Translator

# Pivots tried in this order when several would do: the languages the bundled engines connect
# best (Apertium's pairs are built around Spanish, the neural ones around English).
_PIVOT_ORDER = ("es", "en", "pt", "fr")


class PivotTranslator(Translator):
    """`first` translates source -> `via`, then `second` translates `via` -> target.

    Args:
        first: serves (source, via) for every source in `pairs`.
        second: serves (via, target) for every target in `pairs`.
        via: the pivot language (ISO 639-1).
        pairs: the (source, target) pairs this route is used for.
    """

    def __init__(
        self, first: Translator, via: str, second: Translator, pairs: set[tuple[str, str]]
    ) -> None:
        self.first, self.via, self.second = first, via, second
        self._pairs = frozenset(pairs)
        self.name = (
            first.name if first.name == second.name else f"{first.name}+{second.name}"
        ) + f" via {via}"

    def pairs(self) -> set[tuple[str, str]]:
        return set(self._pairs)

    @property
    def shortens_by(self) -> str | None:  # type: ignore[override]
        # Only the last step writes the target language, so only it can word a line shorter.
        return self.second.shortens_by

    def shorten(
        self,
        texts: list[str],
        translations: list[str],
        source: str,
        target: str,
        request: TranslationRequest,
    ) -> list[str]:
        middle = self.first.translate(
            texts, source, self.via, TranslationRequest(context=request.context)
        )
        return self.second.shorten(
            middle,
            translations,
            self.via,
            target,
            TranslationRequest(max_chars=request.max_chars, glossary=request.glossary),
        )

    def route(self, source: str, target: str) -> list[str]:
        """The steps, e.g. ["apertium en->es", "apertium es->fr"]."""
        return [
            f"{self.first.name} {source}->{self.via}",
            f"{self.second.name} {self.via}->{target}",
        ]

    @property
    def expected_quality(self) -> str:
        return (
            f"two translations through {self.via}: expect more errors than a direct pair; "
            "a direct model (polydub models, POLYDUB_CT2_MODELS) or a chat endpoint does better"
        )

    def _translate_batch(
        self, texts: list[str], source: str, target: str, request: TranslationRequest
    ) -> list[str]:
        # Length budgets belong to the target language, so only the second step aims at them;
        # the source context means nothing to it, so it gets none.
        middle = self.first.translate(
            texts, source, self.via, TranslationRequest(context=request.context)
        )
        return self.second.translate(
            middle,
            self.via,
            target,
            TranslationRequest(max_chars=request.max_chars, glossary=request.glossary),
        )


def pivot_routes(translators: Sequence[Translator]) -> list[PivotTranslator]:
    """Routes for every pair no engine serves directly but two chained engines do.

    `translators` come most preferred first; for each pair the first pivot in `_PIVOT_ORDER`
    (then alphabetical) that connects wins, with the most preferred engine on each leg.
    """
    concrete = [t for t in translators if not any("*" in pair for pair in t.pairs())]
    direct = {pair for t in translators for pair in t.pairs()}
    # (source, via) -> the first engine serving it; likewise (via, target).
    legs: dict[tuple[str, str], Translator] = {}
    for translator in concrete:
        for pair in sorted(translator.pairs()):
            legs.setdefault(pair, translator)
    languages = sorted({code for pair in legs for code in pair})
    vias = [v for v in _PIVOT_ORDER if v in languages] + [
        v for v in languages if v not in _PIVOT_ORDER
    ]
    chosen: dict[tuple[Translator, str, Translator], set[tuple[str, str]]] = {}
    for source in languages:
        for target in languages:
            if source == target or _served(translators, direct, source, target):
                continue
            for via in vias:
                first, second = legs.get((source, via)), legs.get((via, target))
                if via not in (source, target) and first and second:
                    chosen.setdefault((first, via, second), set()).add((source, target))
                    break
    return [
        PivotTranslator(first, via, second, pairs)
        for (first, via, second), pairs in sorted(chosen.items(), key=lambda kv: kv[0][1])
    ]


def _served(translators, direct, source: str, target: str) -> bool:
    return (source, target) in direct or any(t.supports(source, target) for t in translators)
