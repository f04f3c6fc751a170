"""Piper's bundled English voice: audible, plausibly timed, understood, and rate-controlled."""

from __future__ import annotations

import time

import pytest
from intelligibility import error_rate, speech_fraction

from polydub.engines.tts.piper import PiperSynthesizer

pytestmark = pytest.mark.integration

VOICE = "piper:joe"
TEXT = "The weather is lovely today, so we are going for a walk in the park."
# Whisper base heard this sentence without error (WER 0.0); 0.15 allows one misheard word
# of twelve plus Whisper's noise, and still fails on garbled speech.
MAX_WER = 0.15


@pytest.fixture(scope="module")
def piper() -> PiperSynthesizer:
    return PiperSynthesizer()


def test_speaks_english_intelligibly(piper, transcribe):
    started = time.perf_counter()
    speech = piper.synthesize(TEXT, language="en", voice=VOICE)
    rtf = (time.perf_counter() - started) / speech.audio.duration
    heard = transcribe(speech.audio, "en")
    wer = error_rate(TEXT, heard, "en")
    print(f"piper en: rtf={rtf:.2f} wer={wer:.2f} heard={heard!r}")

    assert speech.audio.sample_rate == 22050
    assert speech_fraction(speech.audio) > 0.5
    assert 0.04 <= speech.audio.duration / len(TEXT) <= 0.2
    assert wer <= MAX_WER, heard


def test_phoneme_timing_comes_from_the_model(piper):
    speech = piper.synthesize("Hello there. How are you today?", language="en", voice=VOICE)
    timings = speech.phonemes
    duration = speech.audio.duration
    assert len(timings) >= 15
    assert all(0 <= t.start < t.end <= duration + 1e-6 for t in timings)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(timings, timings[1:], strict=False))
    assert timings[0].start <= 0.15 and timings[-1].end >= duration - 0.2
    # Model durations are uneven (an even spread would give near-identical lengths).
    lengths = [t.end - t.start for t in timings]
    assert max(lengths) > 2.5 * min(lengths)


def test_faster_rate_is_resynthesised_shorter(piper):
    normal = piper.synthesize(TEXT, language="en", voice=VOICE, rate=1.0).audio.duration
    fast = piper.synthesize(TEXT, language="en", voice=VOICE, rate=1.25).audio.duration
    # VITS rounds each phoneme's frames up (ceil), so length_scale 0.8 gives about 0.85.
    assert fast / normal == pytest.approx(1 / 1.25, abs=0.1)


def test_same_line_comes_out_nearly_the_same_length(piper):
    # Timing plans depend on it. Duration noise is off, so the model's frames repeat exactly;
    # what is left is the silence trim, which the decoder's (still random) noise floor moves
    # by up to ~0.11 s. With duration noise on, one 3.8 s line spread over 0.3 s.
    lengths = [piper.synthesize(TEXT, language="en", voice=VOICE).audio.duration for _ in range(4)]
    assert max(lengths) - min(lengths) <= 0.15


def test_the_bundled_voice_speaks_english_only(piper):
    assert piper.languages() == {"en"}
    assert [v.id for v in piper.voices("en")] == [VOICE]
    assert piper.voices("es") == []
    with pytest.raises(ValueError, match="joe speaks 'en', not 'es'"):
        piper.synthesize("Hola", language="es", voice=VOICE)
    with pytest.raises(ValueError, match="unknown Piper voice"):
        piper.synthesize("Hello", language="en", voice="piper:amy")
