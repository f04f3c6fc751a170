"""What the engines load from pulled models, found without configuration.

Engine selection asks here for the best pulled model of its stage; explicit settings
(POLYDUB_WHISPER_MODEL_DIR, POLYDUB_CT2_MODELS, POLYDUB_XTTS_MODEL_DIR) still win, and
POLYDUB_USE_PULLED_MODELS=false ignores pulled models altogether.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from polydub.engines.models.store import ModelStore, PulledModel

if TYPE_CHECKING:
    from polydub.engines.tts.piper import PiperVoiceFiles
from polydub.errors import EngineError


class ModelNotPulledError(EngineError):
    """A model was asked for by name but is not in the cache; the message says how to get it."""

    code = "model_not_pulled"


@dataclass(frozen=True)
class PulledCt2Model:
    """A pulled translation model, in the shape select.build_translators takes."""

    path: Path
    source: str | None
    target: str | None
    languages: list[str]
    family: str
    model_name: str


def _usable(store: ModelStore, stage: str) -> list[PulledModel]:
    models = [m for m in store.pulled().values() if m.stage == stage]
    models = [m for m in models if store.load_path(m).is_dir()]
    return sorted(models, key=lambda m: -m.quality)


def pulled_model(models_dir: Path, stage: str, name: str | None = None) -> tuple[str, Path] | None:
    """(name, directory) of the named pulled model, else the best one of `stage`, else None.

    Raises:
        ModelNotPulledError: `name` is given but not pulled (or its files are gone).
    """
    store = ModelStore(models_dir)
    if name:
        model = store.pulled().get(name)
        if model is None or model.stage != stage or not store.load_path(model).is_dir():
            raise ModelNotPulledError(
                f"model {name} is not in the model cache; run `polydub models pull {name}`"
            )
        return model.name, store.load_path(model)
    usable = _usable(store, stage)
    return (usable[0].name, store.load_path(usable[0])) if usable else None


def pulled_model_file(models_dir: Path, stage: str) -> tuple[str, Path] | None:
    """(name, file) of the best pulled model of `stage` whose engine loads one file (the
    entry's `engine.file`, e.g. a lip-sync network), else None."""
    store = ModelStore(models_dir)
    for model in _usable(store, stage):
        file = store.load_path(model) / str(model.engine.get("file", ""))
        if model.engine.get("file") and file.is_file():
            return model.name, file
    return None


def pulled_translation_models(models_dir: Path) -> list[PulledCt2Model]:
    """Every pulled CTranslate2 translation model, best first."""
    store = ModelStore(models_dir)
    return [
        PulledCt2Model(
            path=store.load_path(m),
            source=m.engine.get("source"),
            target=m.engine.get("target"),
            languages=list(m.engine.get("languages", [])),
            family=str(m.engine.get("family", "opus-mt")),
            model_name=m.name,
        )
        for m in _usable(store, "mt")
    ]


@dataclass(frozen=True)
class PulledVoice:
    model_name: str
    path: Path


def pulled_voices(models_dir: Path) -> dict[str, PulledVoice]:
    """Kokoro voice name -> the pulled model and style table file (voices/<name>.bin)."""
    store = ModelStore(models_dir)
    voices: dict[str, PulledVoice] = {}
    for model in reversed(_usable(store, "tts")):  # better packs override on a shared name
        if model.engine.get("family", "kokoro") != "kokoro":
            continue
        for path in model.files:
            file = store.download_dir(model.name) / path
            if file.suffix == ".bin" and file.is_file():
                voices[file.stem] = PulledVoice(model.name, file)
    return voices


@dataclass(frozen=True)
class PulledPiperVoice:
    model_name: str
    files: PiperVoiceFiles


def pulled_piper_voices(models_dir: Path) -> dict[str, PulledPiperVoice]:
    """Piper voice name (its file's stem, e.g. es_ES-davefx-medium) -> the pulled model and the
    voice's graph and config; the language is read from the config, the gender from the entry."""
    from polydub.engines.tts.piper import PiperVoiceFiles, voice_language

    store = ModelStore(models_dir)
    voices: dict[str, PulledPiperVoice] = {}
    for model in reversed(_usable(store, "tts")):
        if model.engine.get("family") != "piper":
            continue
        genders = model.engine.get("voices", {})
        for path in model.files:
            graph = store.download_dir(model.name) / path
            config = graph.with_name(graph.name + ".json")
            if graph.suffix == ".onnx" and graph.is_file() and config.is_file():
                language = voice_language(config)
                files = PiperVoiceFiles(graph, config, language, genders.get(graph.stem))
                voices[graph.stem] = PulledPiperVoice(model.name, files)
    return voices


def pulled_model_names(models_dir: Path) -> dict[str, str]:
    """Pulled model name -> stage, for reports and `polydub languages`."""
    return {m.name: m.stage for m in ModelStore(models_dir).pulled().values()}
