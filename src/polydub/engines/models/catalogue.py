"""The models `polydub models pull` can fetch: where they live, what they weigh, their terms.

Every revision is a full commit id read from the hub's own file listings (public pages of
huggingface.co). A file's sha256 is filled in only where a public source states it; where it is
None, `pull` checks the file against the hub's own record of it (the LFS sha256, or the git
blob id for small files) and stores the sha256 it computed in the cache registry, so
`polydub models verify` holds it to that from then on. A revision of None is resolved to a
commit on first pull and recorded the same way.

A user catalogue (POLYDUB_MODEL_CATALOGUE, a JSON list of entries in this shape) adds models,
e.g. from a private hub or mirror; an entry with a built-in name replaces it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

Stage = Literal["asr", "mt", "tts", "clone", "separation", "lipsync"]
STAGE_NAMES: dict[str, str] = {
    "asr": "speech recognition",
    "mt": "translation",
    "tts": "voices",
    "clone": "voice cloning",
    "separation": "separation",
    "lipsync": "lip-sync",
}
# How a pulled model becomes what its engine loads.
Conversion = Literal["ct2-transformers"]


@dataclass(frozen=True)
class ModelFile:
    path: str  # inside the repository
    size: int  # bytes; approximate (from the hub's listing) when sha256 is None
    sha256: str | None = None
    optional: bool = False  # fetched when the revision has it (tokenizer extras)


@dataclass(frozen=True)
class ModelEntry:
    """One pullable model.

    `engine` holds what the stage's engine needs beyond the directory: for translation the
    CTranslate2 family and its languages (`source`/`target` for Opus-MT, `languages` for
    NLLB); for Kokoro voices nothing (names say language and gender).
    """

    name: str
    stage: Stage
    repo: str
    revision: str | None
    files: tuple[ModelFile, ...]
    licence: str
    languages: tuple[str, ...]  # ISO 639-1; ("*",) for every language the model knows
    needs: str  # CPU/GPU and memory, in words
    description: str
    conversion: Conversion | None = None
    quality: int = 0  # higher wins when several pulled models serve the same stage
    engine: dict = field(default_factory=dict)
    source_note: str = ""  # where the revision and hashes were read

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _whisper(name, repo, revision, model_size, companions, quality, needs, note, sha=None):
    files = (ModelFile("model.bin", model_size, sha), *(ModelFile(p, s) for p, s in companions))
    return ModelEntry(
        name=name,
        stage="asr",
        repo=repo,
        revision=revision,
        files=files,
        licence="MIT",
        languages=("*",),
        needs=needs,
        description=f"Whisper {name.removeprefix('whisper-')}, CTranslate2 (faster-whisper)",
        quality=quality,
        source_note=note,
    )


_WHISPER_TXT = (("config.json", 2_370), ("tokenizer.json", 2_200_000), ("vocabulary.txt", 460_000))
_WHISPER_V3 = (
    ("config.json", 2_390),
    ("preprocessor_config.json", 340),
    ("tokenizer.json", 2_480_000),
    ("vocabulary.json", 1_070_000),
)
_HF_TREE = "huggingface.co tree page at this commit"


def _opus(pair: str, revision: str, licence: str, sizes: dict[str, int], note: str) -> ModelEntry:
    """`sizes`: each file's size as the hub's tree page lists it at `revision`."""
    source, target = pair.split("-")
    return ModelEntry(
        name=f"opus-mt-{pair}",
        stage="mt",
        repo=f"Helsinki-NLP/opus-mt-{pair}",
        revision=revision,
        files=(
            *(ModelFile(path, size) for path, size in sizes.items()),
            ModelFile("tokenizer_config.json", 42, optional=True),
        ),
        licence=licence,
        languages=(source, target),
        needs="CPU: about 80 MB after int8 conversion, about 100 sentences/s on 2 cores",
        description=f"Opus-MT {source}->{target} (Marian), converted to CTranslate2 int8",
        conversion="ct2-transformers",
        quality=2,
        engine={"family": "opus-mt", "source": source, "target": target},
        source_note=note,
    )


def _opus_sizes(config: int, weights: int, source_spm: int, target_spm: int, vocab: int):
    return {
        "config.json": config,
        "pytorch_model.bin": weights,
        "source.spm": source_spm,
        "target.spm": target_spm,
        "vocab.json": vocab,
    }


_NLLB_LANGUAGES = (
    "en", "es", "fr", "de", "it", "pt", "nl", "pl", "ru", "uk", "tr", "ar", "hi", "bn", "ja",
    "ko", "zh", "vi", "id", "th", "sv", "da", "no", "fi", "cs", "ro", "hu", "el", "he", "fa",
)  # fmt: skip


def _nllb(name, repo, revision, weights, quality, needs, note):
    return ModelEntry(
        name=name,
        stage="mt",
        repo=repo,
        revision=revision,
        files=(
            ModelFile("config.json", 810),
            ModelFile("pytorch_model.bin", weights),
            ModelFile("sentencepiece.bpe.model", 4_850_000),
            ModelFile("special_tokens_map.json", 3_550, optional=True),
            ModelFile("tokenizer_config.json", 564, optional=True),
        ),
        licence="CC-BY-NC-4.0 (non-commercial use only)",
        languages=_NLLB_LANGUAGES,
        needs=needs,
        description="NLLB-200 (200 languages), converted to CTranslate2 int8",
        conversion="ct2-transformers",
        quality=quality,
        engine={"family": "nllb", "languages": list(_NLLB_LANGUAGES)},
        source_note=note,
    )


# Kokoro-82M v1.0 voices as raw float32 style tables (510 x 1 x 256), the form the bundled
# int8 graph takes. Names: language letter (a/b English, e Spanish, f French, h Hindi,
# i Italian, j Japanese, p Portuguese, z Chinese), then f/m for the base voice's gender.
KOKORO_VOICES = (
    "af_heart", "af_bella", "am_michael", "am_fenrir", "bf_emma", "bm_george",
    "ef_dora", "em_alex", "ff_siwis", "hf_alpha", "hm_omega", "if_sara", "im_nicola",
    "pf_dora", "pm_alex", "zf_xiaobei", "zm_yunjian",
)  # fmt: skip
_KOKORO_VOICE_BYTES = 510 * 256 * 4


# rhasspy/piper-voices at a commit after the "voicefest" config update; one native voice per
# language, the medium quality where one exists (x_low for Italian, the only one then).
_PIPER_REVISION = "5e74c24a88ed7d31e308633fa1542433ce2b28d4"
_PIPER_NOTE = (
    "revision and sizes from the hub's tree pages of rhasspy/piper-voices at this commit; the "
    "repository is MIT, each voice's dataset licence is in its MODEL_CARD (pulled with it)"
)


def _piper(language: str, folder: str, voice: str, gender: str, graph: int) -> ModelEntry:
    stem = f"{folder.split('/')[1]}-{voice}"
    base = f"{folder}/{voice.rsplit('-', 1)[0]}/{voice.rsplit('-', 1)[1]}/{stem}"
    return ModelEntry(
        name=f"piper-{language}",
        stage="tts",
        repo="rhasspy/piper-voices",
        revision=_PIPER_REVISION,
        files=(
            ModelFile(f"{base}.onnx", graph),
            ModelFile(f"{base}.onnx.json", 7_000),
            ModelFile(f"{base.rsplit('/', 1)[0]}/MODEL_CARD", 300),
        ),
        licence="MIT (repository); voice dataset licence in its MODEL_CARD",
        languages=(language,),
        needs="CPU: about 100 MB RAM, RTF about 0.03 on one core",
        description=f"Piper voice {stem} ({gender}), a native {language} speaker",
        quality=2,
        engine={"family": "piper", "voices": {stem: gender}},
        source_note=_PIPER_NOTE,
    )


BUILTIN: tuple[ModelEntry, ...] = (
    _whisper(
        "whisper-small",
        "Systran/faster-whisper-small",
        "536b0662742c02347bc0e980a01041f333bce120",
        484_000_000,
        _WHISPER_TXT,
        quality=2,
        needs="CPU: about 1 GB RAM, RTF about 0.4 int8 on 2 cores",
        note=_HF_TREE,
    ),
    _whisper(
        "whisper-medium",
        "Systran/faster-whisper-medium",
        "08e178d48790749d25932bbc082711ddcfdfbc4f",
        1_530_000_000,
        _WHISPER_TXT,
        quality=3,
        needs="CPU: about 2.5 GB RAM and slow (RTF about 1); a GPU recommended",
        note=_HF_TREE,
    ),
    _whisper(
        "whisper-large-v3",
        "Systran/faster-whisper-large-v3",
        "edaa852ec7e145841d8ffdb056a99866b5f0a478",
        3_090_000_000,
        _WHISPER_V3,
        quality=5,
        needs="GPU: about 4.5 GB VRAM (fp16); CPU works, several times slower than real time",
        note=_HF_TREE,
    ),
    _whisper(
        "whisper-large-v3-turbo",
        "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
        "0c94664816ec82be77b20e824c8e8675995b0029",
        1_620_000_000,
        (
            ("config.json", 2_260),
            ("preprocessor_config.json", 340),
            ("tokenizer.json", 2_710_000),
            ("vocabulary.json", 1_070_000),
        ),
        quality=4,
        needs="GPU: about 2.5 GB VRAM; CPU about real time on 4 cores",
        note=(
            "revision: the hub's tree page shows main at 0c94664 ('Model files'); the full id "
            "as two independent public pins of this repository spell it; model.bin sha256 as "
            "published by two independent mirrors (not the hub itself)"
        ),
        sha="e76620f83d5f5b69efd3d87e3dc180c1bd21df9fbebacfd4335e5e1efcc018da",
    ),
    _opus(
        "en-es",
        "0e9686e0e0893ab6747359e265992ca93d801afa",
        "Apache-2.0",
        _opus_sizes(1_470, 312_000_000, 810_000, 830_000, 1_600_000),
        _HF_TREE,
    ),
    _opus(
        "es-en",
        "afc367bc733af696db166e0702512fbef0eb557f",
        "Apache-2.0",
        _opus_sizes(1_470, 312_000_000, 810_000, 830_000, 1_600_000),
        _HF_TREE,
    ),
    _opus(
        "en-de",
        "338a95cccb3eaaea2ca94edf07f6b7b96158ca1c",
        "CC-BY-4.0",
        _opus_sizes(1_340, 298_000_000, 768_000, 797_000, 1_270_000),
        _HF_TREE,
    ),
    _opus(
        "en-fr",
        "aca69acf54f699c9f5b217f02c30dea009311638",
        "Apache-2.0",
        _opus_sizes(1_420, 301_000_000, 778_000, 802_000, 1_340_000),
        _HF_TREE,
    ),
    _opus(
        "en-it",
        "5be8a9a76ec77a8d600205f0df327016702ab322",
        "Apache-2.0",
        _opus_sizes(1_380, 343_000_000, 789_000, 814_000, 2_350_000),
        _HF_TREE,
    ),
    _nllb(
        "nllb-200-distilled-600m",
        "facebook/nllb-200-distilled-600M",
        "795daa7249f74a7b766440cefb7a05656becc389",
        2_460_000_000,
        quality=3,
        needs="CPU: about 1 GB RAM after int8 conversion (2.5 GB download, 5 GB to convert)",
        note=_HF_TREE,
    ),
    _nllb(
        "nllb-200-distilled-1.3b",
        "facebook/nllb-200-distilled-1.3B",
        "e43ee79ff1768201e83dea963fcb082f47d6eb17",
        5_480_000_000,
        quality=4,
        needs="CPU: about 2 GB RAM after int8 conversion (11 GB to convert); GPU faster",
        note=_HF_TREE,
    ),
    ModelEntry(
        name="kokoro-voices",
        stage="tts",
        repo="onnx-community/Kokoro-82M-v1.0-ONNX",
        revision="1939ad2a8e416c0acfeecc08a694d14ef25f2231",
        files=tuple(ModelFile(f"voices/{v}.bin", _KOKORO_VOICE_BYTES) for v in KOKORO_VOICES),
        licence="Apache-2.0",
        languages=("en", "es", "fr", "hi", "it", "pt", "zh"),
        needs="CPU: runs on the bundled Kokoro model, no extra memory",
        description="Kokoro-82M native voices (male and female) for its trained languages",
        quality=1,
        source_note="revision as pinned by a published conversion recipe of this repository",
    ),
    _piper("es", "es/es_ES", "davefx-medium", "male", 63_200_000),
    _piper("de", "de/de_DE", "thorsten-medium", "male", 63_200_000),
    _piper("fr", "fr/fr_FR", "siwis-medium", "female", 63_200_000),
    _piper("it", "it/it_IT", "riccardo-x_low", "male", 28_100_000),
    _piper("pt", "pt/pt_BR", "faber-medium", "male", 63_200_000),
    _piper("ru", "ru/ru_RU", "denis-medium", "male", 63_200_000),
    ModelEntry(
        name="xtts-v2",
        stage="clone",
        repo="coqui/XTTS-v2",
        revision="6c2b0d75eae4b7047358e3b6bd9325f857d43f77",
        files=(
            ModelFile("config.json", 4_370),
            ModelFile("model.pth", 1_870_000_000),
            ModelFile("vocab.json", 361_000),
            ModelFile(
                "speakers_xtts.pth",
                7_750_000,
                "f0f6137c19a4eab0cbbe4c99b5babacf68b1746e50da90807708c10e645b943b",
            ),
        ),
        licence="Coqui Public Model License 1.0.0 (non-commercial use only)",
        languages=(
            "en",
            "es",
            "fr",
            "de",
            "it",
            "pt",
            "pl",
            "tr",
            "ru",
            "nl",
            "cs",
            "ar",
            "zh",
            "ja",
            "hu",
            "ko",
            "hi",
        ),  # fmt: skip
        needs="GPU recommended (about 4 GB VRAM); CPU is several times slower than real time; "
        "needs the coqui-tts package",
        description="XTTS-v2 voice cloning from a few seconds of the speaker",
        quality=1,
        source_note=(
            "revision: the hub's commit page 'Rename speakers.pth to speakers_xtts.pth' (v2.0.3 "
            "weights), the last change to main's files; speakers_xtts.pth sha256 from the hub's "
            "LFS pointer page; model.pth is held to the hub's LFS record at pull"
        ),
    ),
)

# Named bundles for `polydub models pull --pack NAME`.
_DEMUCS = ModelEntry(
    name="htdemucs",
    stage="separation",
    repo="adefossez/HTDemucs",
    revision="cbc8a9b1a87023b7fd74e7b3412e6321c0eab003",
    files=(
        ModelFile("htdemucs.yaml", 30),
        ModelFile(
            "955717e8.safetensors",
            84_025_440,
            "d9fa14133cfcc034a6758923bb3a8ca9f8dfd0b582134643bbf83f72c17576dd",
        ),
    ),
    licence="MIT (Demucs code; the hub card's MIT line was removed at this revision)",
    languages=("*",),
    needs="CPU: about 1 GB RAM, about real time on 2 cores; a GPU makes it seconds; needs the "
    "demucs-infer package (installed)",
    description="Hybrid Transformer Demucs v4: vocals (speech) against drums, bass and other",
    quality=1,
    source_note=(
        "revision: the author's repository as several public pins cite it (its latest, "
        "'Remove license from model card'); checkpoint size and sha256 as two public "
        "manifests record it"
    ),
)

_WAV2LIP = ModelEntry(
    name="wav2lip-gan",
    stage="lipsync",
    repo="bluefoxcreation/Wav2lip-Onnx",
    revision="921db35c2c6acdeb4c21c773e4342c00e8985bae",
    files=(ModelFile("wav2lip_gan.onnx", 145_000_000),),
    licence="Wav2Lip terms: research and non-commercial use only (trained on LRS2)",
    languages=("*",),
    needs="GPU recommended (CUDA onnxruntime): about 1 GB VRAM; on CPU several times slower "
    "than real time",
    description="Wav2Lip (GAN) as ONNX, for the neural lip-sync slot",
    quality=1,
    engine={"file": "wav2lip_gan.onnx"},
    source_note="revision and size from the hub's tree page at this commit",
)

BUILTIN = (*BUILTIN, _DEMUCS, _WAV2LIP)

PACKS: dict[str, tuple[str, ...]] = {
    "cpu-quality": ("whisper-small", "opus-mt-en-es", "opus-mt-es-en", "kokoro-voices"),
    "gpu": (
        "whisper-large-v3",
        "nllb-200-distilled-1.3b",
        "kokoro-voices",
        "xtts-v2",
        "htdemucs",
        "wav2lip-gan",
    ),
}


def translation_models_for(
    entries: dict[str, ModelEntry], source: str | None, target: str
) -> list[str]:
    """Catalogue translation models that would serve source->target (any source if None),
    smallest first: what an error can suggest pulling."""
    found = []
    for entry in entries.values():
        if entry.stage != "mt":
            continue
        if entry.engine.get("family") == "opus-mt":
            ok = entry.engine.get("target") == target and source in (None, entry.engine["source"])
        else:
            ok = target in entry.languages and (source is None or source in entry.languages)
        if ok:
            found.append(entry)
    return [e.name for e in sorted(found, key=lambda e: e.size)]


def voice_models_for(entries: dict[str, ModelEntry], language: str) -> list[str]:
    """Catalogue voice packs that speak `language`, smallest first: what an error can suggest."""
    found = [e for e in entries.values() if e.stage == "tts" and language in e.languages]
    return [e.name for e in sorted(found, key=lambda e: e.size)]


def entry_from_dict(data: dict) -> ModelEntry:
    """An entry from a user catalogue's JSON object (the shape of `entry_to_dict`)."""
    data = dict(data)
    data["files"] = tuple(ModelFile(**f) for f in data.get("files", ()))
    data["languages"] = tuple(data.get("languages", ()))
    return ModelEntry(**data)


def entry_to_dict(entry: ModelEntry) -> dict:
    return asdict(entry)


def load_catalogue(extra: Path | None = None) -> dict[str, ModelEntry]:
    """Built-in entries, then a user catalogue file's (same name: the user's wins).

    Raises:
        ValueError: the user catalogue is not a JSON list of valid entries.
    """
    entries = {e.name: e for e in BUILTIN}
    if extra is not None:
        try:
            items = json.loads(Path(extra).read_text(encoding="utf-8"))
            user = [entry_from_dict(item) for item in items]
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"model catalogue {Path(extra).name}: {exc}") from exc
        entries.update({e.name: e for e in user})
    return entries
