"""A pulled Piper voice: found without settings, chosen for its language, speaking in a dub."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile as sf
from test_models_dub import cli

from polydub.engines.tts.select import choose_voice
from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.language_routes import language_catalog

pytestmark = pytest.mark.integration

PIPER_VOICE = "es_ES-joe-medium"  # as conftest.py serves it


def test_a_pulled_piper_voice_speaks_its_language_in_a_dub(hub, model_settings, tmp_path):
    state, url = hub
    assert EngineSet(model_settings).pulled_piper_voices == {}

    result = cli(model_settings, url, "models", "pull", "piper-es-test", "kokoro-voices-test")
    assert result.exit_code == 0, result.output
    engines = EngineSet(model_settings)
    piper = engines.synthesizers["piper"]
    assert "es" in piper.languages() and "en" in piper.languages()
    # A native Piper voice is preferred to Kokoro's for Spanish, as it is for English.
    assert choose_voice("es", engines.synthesizers.values()).id == f"piper:{PIPER_VOICE}"
    speech = piper.synthesize("Hola, ¿cómo estás?", language="es", voice=PIPER_VOICE)
    assert speech.audio.duration > 0.3 and speech.phonemes
    with pytest.raises(ValueError, match="speaks 'es'"):
        piper.synthesize("Hello", language="en", voice=PIPER_VOICE)
    # `polydub languages` and the languages endpoint list Piper first for Spanish.
    spanish = [e for e in language_catalog(model_settings, engines) if e.code.startswith("es")]
    assert spanish and all(e.voices[0] == "piper" for e in spanish)

    # The dub: given transcripts (no recognition, no translation), audio out.
    # A dub with the pulled voice asked for by id, as an API request's preferred stock voice
    # names it (automatic choice is shown above: with a buzz for a source, the speaker's
    # pitch-guessed gender would decide between Piper's male and Kokoro's female voices).
    rate = 16000
    t = np.arange(4 * rate) / rate
    buzz = sum(0.1 / k * np.sin(2 * np.pi * 110 * k * t) for k in range(1, 6))
    sf.write(tmp_path / "talk.wav", buzz.astype(np.float32), rate)
    clip = tmp_path / "talk.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=64x64:d=4",
                    "-i", str(tmp_path / "talk.wav"), "-shortest", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)  # fmt: skip
    (tmp_path / "en.srt").write_text(_SRT.format("Hello, how are you?"), encoding="utf-8")
    (tmp_path / "es.srt").write_text(_SRT.format("Hola, ¿cómo estás?"), encoding="utf-8")
    options = DubOptions(targets=("es",), source_language="en", use_stock_voice=True,
                         source_srt=tmp_path / "en.srt", output_srt=tmp_path / "es.srt",
                         audio_only=True, speakers=1,
                         voice_ids=(f"piper:{PIPER_VOICE}",))  # fmt: skip
    (out,) = dub(clip, options, engines, work_root=tmp_path / "work",
                 output_stem=tmp_path / "out" / "talk")  # fmt: skip
    report = out.report
    assert set(report["engines"]["voices"].values()) == {f"piper:{PIPER_VOICE}"}
    piper_model = next(m for m in report["models"] if m["name"] == "piper-es-test")
    assert piper_model["commit"] == state.repos["test/piper-voices"].commit


_SRT = "1\n00:00:00,500 --> 00:00:03,000\n{}\n"
