"""A job cancelled while Kokoro speaks one long chunk stops that inference (ONNX Runtime's
terminate flag), instead of waiting for the chunk: a long line on a busy CPU took 20 s."""

from __future__ import annotations

import pytest

from polydub.cancellation import CancelCheck, cancel_scope
from polydub.engines.tts.kokoro import KokoroSynthesizer
from polydub.errors import JobCancelled

pytestmark = pytest.mark.integration

# One sentence of about 300 phonemes: a single chunk, a single inference of several seconds
# of speech (cutting it needs the terminate flag: there is no later chunk to check before).
LONG_SENTENCE = (
    "The harbour master said that the boats would leave at nine o'clock sharp, that every "
    "passenger should bring a warm coat because the wind on the water is strong, and that "
    "the island's small museum of old maps would be open until the late afternoon"
)


@pytest.fixture(scope="module")
def kokoro(pytestconfig: pytest.Config) -> KokoroSynthesizer:
    return KokoroSynthesizer(pytestconfig.cache.mkdir("polydub-kokoro"))


class CancelledOnSecondAsk:
    """Not cancelled when the chunk starts (the first ask), cancelled from then on: the
    cancel arrives while the inference runs."""

    def __init__(self) -> None:
        self.asks = 0

    def __call__(self) -> bool:
        self.asks += 1
        return self.asks > 1


def test_a_cancel_stops_the_inference_of_a_long_chunk(kokoro):
    assert len(kokoro.phonemize(LONG_SENTENCE, "en")) < 510  # one chunk
    job = CancelledOnSecondAsk()
    with cancel_scope(CancelCheck(job, interval=0.0)), pytest.raises(JobCancelled):
        kokoro.synthesize(LONG_SENTENCE, language="en", voice="kokoro:jf_alpha")
    assert job.asks >= 2  # the second ask came from the watcher, during the inference


def test_without_a_cancel_the_same_chunk_is_spoken(kokoro):
    never = CancelCheck(lambda: False, interval=0.0)
    with cancel_scope(never):
        speech = kokoro.synthesize(LONG_SENTENCE, language="en", voice="kokoro:jf_alpha")
    assert speech.audio.duration > 8.0
