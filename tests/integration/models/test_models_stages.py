"""Pulled models for the separation and lip-sync slots: found without settings and loaded by
the real engine code (the test networks are tiny stand-ins, so their output is not judged)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from test_models_dub import cli

from polydub.engines.lipsync.neural import Wav2LipModel
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.lipsync import make_renderer

pytestmark = pytest.mark.integration


def test_a_pulled_demucs_replaces_spleeter(hub, model_settings, add_model, demucs_files, tmp_path):
    _, url = hub
    repo = add_model("htdemucs-test", "separation", demucs_files, quality=1)
    assert EngineSet(model_settings).separator_key == {}  # bundled Spleeter: keys unchanged
    result = cli(model_settings, url, "models", "pull", "htdemucs-test")
    assert result.exit_code == 0, result.output

    engines = EngineSet(model_settings)
    separator = engines.separator
    assert separator.name == "demucs:htdemucs-test"
    assert engines.separator_key == {"separator": f"pulled:htdemucs-test:{repo.commit}"}
    assert [m["name"] for m in engines.models_in_use([separator.name])] == ["htdemucs-test"]

    rate = 16000
    t = np.arange(2 * rate) / rate
    sf.write(tmp_path / "mix.wav", (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)
    separator.separate(tmp_path / "mix.wav", tmp_path / "speech.wav", tmp_path / "bg.wav")
    for stem in ("speech.wav", "bg.wav"):
        info = sf.info(str(tmp_path / stem))
        assert (info.samplerate, info.frames, info.channels) == (rate, 2 * rate, 1)


def test_a_pulled_lipsync_network_fills_the_neural_slot(
    hub, model_settings, add_model, wav2lip_files
):
    _, url = hub
    add_model("wav2lip-test", "lipsync", wav2lip_files, quality=1,
              engine={"file": "wav2lip_gan.onnx"})  # fmt: skip
    assert EngineSet(model_settings).lipsync_model is None  # built-in renderers
    result = cli(model_settings, url, "models", "pull", "wav2lip-test")
    assert result.exit_code == 0, result.output

    engines = EngineSet(model_settings)
    path = engines.lipsync_model
    assert path is not None and path.name == "wav2lip_gan.onnx"
    # The lip-sync stage's renderer is named "wav2lip"; the report maps it to the pull.
    assert [m["name"] for m in engines.models_in_use(["wav2lip"])] == ["wav2lip-test"]
    model = Wav2LipModel(path, "cpu")
    faces = np.random.default_rng(0).random((1, 6, 96, 96), dtype=np.float32)
    out = model(np.zeros((1, 1, 80, 16), np.float32), faces)
    assert out.shape == (1, 3, 96, 96) and np.allclose(out, faces[:, 3:], atol=1e-5)
    from polydub.domain.audio import Audio

    speech = Audio(np.zeros(16000, np.float32), 16000)
    assert type(make_renderer("speed", model=path, speech=speech)).__name__ == "Wav2LipRenderer"
    # An explicit setting still wins over the pulled network.
    other = model_settings.model_copy(update={"lipsync_model": path.with_name("mine.onnx")})
    assert EngineSet(other).lipsync_model == path.with_name("mine.onnx")
