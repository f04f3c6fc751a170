"""Fixtures for the speaker tests: a generated three-voice dialogue with known turns, its
Whisper transcript, and the real two-speaker recording inside the pyannote-audio wheel."""

from __future__ import annotations

import pytest

from polydub.dialogue_samples import pyannote_sample, read_rttm
from polydub.engines.asr.base import TranscribeOptions
from polydub.media.audio import read_wav, write_wav


@pytest.fixture(scope="session")
def engines(settings):
    """The session's engines with voice matching on (the default everywhere but tests)."""
    from polydub.pipeline.engine_set import EngineSet

    return EngineSet(settings.model_copy(update={"voice_matching": True}))


@pytest.fixture(scope="session")
def dialogue(settings, engines, tmp_path_factory):
    """(16 kHz wav path, its audio, reference turns, Whisper transcript)."""
    from polydub.dialogue_samples import dialogue_track

    audio, turns = dialogue_track(settings.models_dir)
    path = write_wav(tmp_path_factory.mktemp("dialogue") / "dialogue.wav", audio)
    options = TranscribeOptions(language="en", beam_size=1, vad=True)
    transcript = engines.transcriber.transcribe(audio.samples, options)
    reference = [(t.start, t.end, t.speaker) for t in turns]
    return path, audio, reference, transcript


@pytest.fixture(scope="session")
def two_speaker_recording(engines):
    """(audio, reference turns, Whisper transcript) of pyannote's real sample."""
    sample = pyannote_sample()
    if sample is None:
        pytest.skip("pyannote-audio (its sample recording) is not installed")
    wav, rttm = sample
    audio = read_wav(wav)
    options = TranscribeOptions(language="en", beam_size=1, vad=True)
    return audio, read_rttm(rttm), engines.transcriber.transcribe(audio.samples, options)
