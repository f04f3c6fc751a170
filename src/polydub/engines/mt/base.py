"""Machine translation: the base class every translation engine extends.

The base class owns the rules every engine must keep (N texts in, N texts out; empty text stays
empty); engines fill in `_translate_batch` and declare the pairs they serve.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from polydub.errors import EngineError


@dataclass(frozen=True)
class TranslationRequest:
    """What a context-aware engine may use besides the texts themselves.

    Attributes:
        context: the whole source transcript, for engines that read around a line.
        max_chars: per text, a length the translation should not exceed (so the dub fits its
            time slot); None where there is no target. Engines that cannot aim at a length
            ignore it.
        glossary: source term -> required target term, for engines that take instructions.
            Placeholder-based enforcement happens outside the engine and works with every one.
    """

    context: str | None = None
    max_chars: list[int | None] | None = None
    glossary: dict[str, str] = field(default_factory=dict)


class Translator(ABC):
    """A translation engine serving some (source, target) pairs of ISO 639-1 codes."""

    name: str = "translator"
    # True when the engine follows instructions (an LLM): glossary and length hints go in the
    # prompt instead of through placeholders.
    follows_instructions: bool = False
    # How the engine can offer a shorter phrasing of a line too long for its time slot
    # ("alternatives", "length request"); None: it gives one translation per text, no other.
    shortens_by: str | None = None

    @abstractmethod
    def pairs(self) -> set[tuple[str, str]]:
        """The (source, target) pairs this engine serves; ("*", tgt) means any source."""

    def supports(self, source: str, target: str) -> bool:
        served = self.pairs()
        return (source, target) in served or ("*", target) in served or ("*", "*") in served

    def translate(
        self,
        texts: list[str],
        source: str,
        target: str,
        request: TranslationRequest | None = None,
    ) -> list[str]:
        """Translate `texts` from `source` to `target`, one output per input, in order."""
        if not self.supports(source, target):
            raise EngineError(f"{self.name} does not translate {source}->{target}")
        request = request or TranslationRequest()
        todo = [i for i, t in enumerate(texts) if t.strip()]
        out = [""] * len(texts)
        if not todo:
            return out
        sub_request = TranslationRequest(
            context=request.context,
            max_chars=[request.max_chars[i] for i in todo] if request.max_chars else None,
            glossary=request.glossary,
        )
        translated = self._translate_batch([texts[i] for i in todo], source, target, sub_request)
        if len(translated) != len(todo):
            raise EngineError(
                f"{self.name} returned {len(translated)} translations for {len(todo)} texts"
            )
        for i, text in zip(todo, translated, strict=True):
            out[i] = text.strip()
        return out

    def shorten(
        self,
        texts: list[str],
        translations: list[str],
        source: str,
        target: str,
        request: TranslationRequest,
    ) -> list[str]:
        """Another phrasing of each translation, aimed at `request.max_chars` (the caller keeps
        it only if it is shorter): one per text, in order. Only engines with `shortens_by`.

        Args:
            texts: the source texts (placeholders in, for engines that take them).
            translations: their current translations, too long for their time slots.
            source: ISO 639-1 source language.
            target: ISO 639-1 target language.
            request: `max_chars` per text is the length to aim at; context and glossary as in
                `translate`.
        """
        raise NotImplementedError(f"{self.name} cannot offer a shorter phrasing")

    @abstractmethod
    def _translate_batch(
        self, texts: list[str], source: str, target: str, request: TranslationRequest
    ) -> list[str]:
        """Translate non-empty texts; must return exactly one string per input."""
