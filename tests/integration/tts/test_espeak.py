"""eSpeak-NG fallback: every claimed language makes plausible speech; a sample is understood."""

from __future__ import annotations

import pytest
from intelligibility import error_rate, speech_fraction

from polydub.engines.tts.espeak import EspeakSynthesizer, parse_voice_list

pytestmark = pytest.mark.integration

# Languages where Whisper base can judge eSpeak at all: measured WER 0.07 (en) and 0.0 (es);
# 0.3 allows two misheard words of twelve. eSpeak's robotic voices in de, nl, pl, fr, it and pt
# scored WER 0.5-1.0 with Whisper base (it mishears them, people mostly do not), so for every
# other language we only check for audible speech of plausible length.
SENTENCES = {
    "en": "The weather is lovely today, so we are going for a walk in the park.",
    "es": "Hoy hace buen tiempo, así que vamos a dar un paseo por el parque.",
}
MAX_WER = 0.3


@pytest.fixture(scope="module")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def test_maps_voices_to_iso_codes(espeak):
    languages = espeak.languages()
    assert len(languages) > 80
    assert {"en", "es", "de", "fr", "ru", "zh", "ar", "ko", "vi", "sw"} <= languages
    assert all(len(code) == 2 for code in languages)
    listing = (
        "Pty Language Age/Gender VoiceName File\n 5 cmn --/M Chinese sit/cmn\n 5 fr-be --/M x y\n"
    )
    assert parse_voice_list(listing) == {"zh": "cmn", "fr": "fr-be"}


def test_every_claimed_language_makes_speech(espeak):
    text = "Hello, one two three."  # read with each language's rules; any letters will do
    for language in sorted(espeak.languages()):
        speech = espeak.synthesize(text, language=language, voice="espeak:male")
        assert speech_fraction(speech.audio) > 0.3, language
        assert 0.5 < speech.audio.duration < 6.0, language


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_sample_languages_are_intelligible(espeak, transcribe, language):
    text = SENTENCES[language]
    speech = espeak.synthesize(text, language=language, voice="espeak:female")
    heard = transcribe(speech.audio, language)
    wer = error_rate(text, heard, language)
    print(f"espeak {language}: wer={wer:.2f} heard={heard!r}")
    assert 0.04 <= speech.audio.duration / len(text) <= 0.2
    assert wer <= MAX_WER, heard


def test_rate_changes_words_per_minute(espeak):
    text = SENTENCES["en"]
    normal = espeak.synthesize(text, language="en", voice="espeak:male").audio.duration
    fast = espeak.synthesize(text, language="en", voice="espeak:male", rate=1.25).audio.duration
    assert fast / normal == pytest.approx(1 / 1.25, abs=0.08)


def test_phoneme_timing_is_an_even_approximation(espeak):
    speech = espeak.synthesize("Good morning.", language="en", voice="espeak:male")
    assert speech.phonemes and speech.phonemes[-1].end <= speech.audio.duration + 1e-6
    assert [t.phoneme for t in speech.phonemes][:3] == ["ɡ", "ʊ", "d"]
