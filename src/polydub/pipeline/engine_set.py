"""The engines one process uses, built from Settings once and only when first needed.

Loading a model costs seconds; a worker keeps its engines for every job it runs.
"""

from __future__ import annotations

from functools import cached_property

from polydub.config import Settings
from polydub.engines.asr.base import Transcriber
from polydub.engines.enhance.base import Enhancer
from polydub.engines.mt.base import Translator
from polydub.engines.separation.base import Separator
from polydub.engines.tts.base import Synthesizer


class EngineSet:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def transcriber(self) -> Transcriber:
        from polydub.engines.asr import ASR_ENGINES

        return ASR_ENGINES.create(
            "whisper",
            model_dir=self.settings.whisper_model_dir,
            cache_dir=self.settings.models_dir,
            threads=self.settings.asr_threads,
        )

    @cached_property
    def translators(self) -> list[Translator]:
        from polydub.engines.mt.select import build_translators

        s = self.settings
        return build_translators(
            ct2_models=s.ct2_models,
            openai_base_url=s.openai_base_url,
            openai_api_key=s.openai_api_key,
            openai_model=s.openai_model,
            openai_languages=s.openai_languages,
            openai_timeout_s=s.openai_timeout_s,
        )

    def translator_for(self, source: str, target: str) -> Translator:
        from polydub.engines.mt.select import choose_translator

        return choose_translator(self.translators, source, target)

    @cached_property
    def synthesizers(self) -> dict[str, Synthesizer]:
        from polydub.engines.tts import TTS_ENGINES

        engines: dict[str, Synthesizer] = {
            # One thread per synthesis: the pipeline runs `tts_workers` lines at once, which
            # measured 22% faster than one line on all cores.
            "kokoro": TTS_ENGINES.create("kokoro", cache_dir=self.settings.models_dir, threads=1),
            "piper": TTS_ENGINES.create("piper", threads=1),
        }
        try:
            engines["espeak"] = TTS_ENGINES.create("espeak")
        except Exception:  # espeak-ng missing: neural voices still work
            pass
        return engines

    @cached_property
    def separator(self) -> Separator:
        from polydub.engines.separation import SEPARATION_ENGINES

        return SEPARATION_ENGINES.create("spleeter")

    @cached_property
    def enhancer(self) -> Enhancer:
        from polydub.engines.enhance import ENHANCE_ENGINES

        return ENHANCE_ENGINES.create("deepfilter")
