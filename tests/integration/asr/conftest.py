"""Fixtures for the ASR tests: one bundled Whisper model and the real speech, loaded once."""

from __future__ import annotations

import pytest
from asr_speech import RealSpeech, load_librivox


@pytest.fixture(scope="session")
def whisper(tmp_path_factory):
    from polydub.engines.asr.whisper import WhisperTranscriber

    return WhisperTranscriber(cache_dir=tmp_path_factory.mktemp("models"), threads=2)


@pytest.fixture(scope="session")
def librivox() -> RealSpeech:
    return load_librivox()
