"""Voice selection policy, on engines that declare languages and voices but synthesise nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from polydub.engines.tts.base import VoiceInfo
from polydub.engines.tts.select import (
    VoiceChoice,
    choose_speaker_voice,
    choose_voice,
    default_voice_for_speaker,
    speaker_voices,
    tts_languages,
)
from polydub.errors import UnsupportedLanguageError

KOKORO_LANGS = {"en", "es", "fr", "it", "pt", "hi", "ja", "de"}


@dataclass
class DeclaredEngine:
    """Declares languages and voices like a real engine; selection never synthesises."""

    name: str
    langs: set[str]
    genders: dict[str, str]
    untrained: set[str] = field(default_factory=set)
    sample_rate: int = 24000
    native_rate_control: bool = True

    def languages(self) -> set[str]:
        return self.langs

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        if language is not None and language not in self.langs:
            return []
        return [
            VoiceInfo(f"{self.name}:{v}", self.name, v, tuple(self.langs), g)
            for v, g in self.genders.items()
        ]

    def is_untrained(self, language: str) -> bool:
        return language in self.untrained

    def synthesize(self, text, *, language, voice, rate=1.0):
        raise AssertionError("selection must not synthesise")


def engines() -> list[DeclaredEngine]:
    # Same declarations as the real engines (see kokoro.VOICE_GENDERS), in shuffled order.
    return [
        DeclaredEngine(
            "espeak", {"en", "es", "de", "nl", "ja"}, {"male": "male", "female": "female"}
        ),
        DeclaredEngine(
            "kokoro",
            KOKORO_LANGS,
            {
                "jm_kumo": "male",
                "jf_alpha": "female",
                "jf_gongitsune": "female",
                "jf_nezumi": "female",
                "jf_tebukuro": "female",
            },
            untrained={"de"},
        ),
        DeclaredEngine("piper", {"en"}, {"joe": "male"}),
    ]


@pytest.mark.parametrize(
    ("case", "language", "expected"),
    [
        ("english prefers the native piper voice", "en", "piper:joe"),
        ("spanish uses kokoro", "es", "kokoro:jm_kumo"),
        ("japanese uses kokoro", "ja", "kokoro:jm_kumo"),
        ("untrained german still beats espeak", "de", "kokoro:jm_kumo"),
        ("dutch falls back to espeak", "nl", "espeak:male"),
    ],
)
def test_choose_voice(case, language, expected):
    assert choose_voice(language, engines()).id == expected, case


def test_no_engine_for_language_is_a_user_error():
    with pytest.raises(UnsupportedLanguageError, match="sw"):
        choose_voice("sw", engines())


def test_languages_listing_ranks_engines():
    listing = tts_languages(engines())
    assert listing["en"] == ["piper", "kokoro", "espeak"]
    assert listing["es"] == ["kokoro", "espeak"]
    assert listing["de"] == ["kokoro", "espeak"]
    assert listing["nl"] == ["espeak"]
    assert listing["hi"] == ["kokoro"]
    assert set(listing) == KOKORO_LANGS | {"nl"}


def test_speakers_get_distinct_voices_alternating_gender():
    voices = [default_voice_for_speaker("es", i, engines()) for i in range(5)]
    assert len({v.id for v in voices}) == 5
    assert [v.gender for v in voices[:2]] == ["male", "female"]
    # English mixes Piper's single voice with Kokoro's to tell six speakers apart.
    english = [default_voice_for_speaker("en", i, engines()).id for i in range(6)]
    assert english[:3] == ["piper:joe", "kokoro:jf_alpha", "kokoro:jm_kumo"]
    assert len(set(english)) == 6


def test_speaker_mapping_is_deterministic_and_wraps():
    first = [default_voice_for_speaker("fr", i, engines()).id for i in range(12)]
    again = [default_voice_for_speaker("fr", i, engines()).id for i in range(12)]
    assert first == again
    assert first[5:10] == first[:5]


def test_known_gender_picks_from_that_gender():
    females = {default_voice_for_speaker("es", i, engines(), gender="female").id for i in range(8)}
    assert females == {
        "kokoro:jf_alpha",
        "kokoro:jf_gongitsune",
        "kokoro:jf_nezumi",
        "kokoro:jf_tebukuro",
    }
    # Piper has no female voice: an English female speaker gets Kokoro's.
    assert default_voice_for_speaker("en", 0, engines(), gender="female").engine == "kokoro"


def test_only_the_best_tier_is_used_for_speakers():
    assert {v.engine for v in speaker_voices("de", engines())} == {"kokoro"}


class TunedStyleMatcher:
    def __init__(self, known: set[str]) -> None:
        self.known = known

    def match(self, profile, language):
        if profile not in self.known:
            return None
        voice = VoiceInfo("kokoro:jm_kumo", "kokoro", "jm_kumo", (language,), "male")
        return VoiceChoice(voice, style=np.full((510, 1, 256), 0.1, np.float32))


def test_voice_matcher_seam():
    matcher = TunedStyleMatcher({"speaker-a"})
    matched = choose_speaker_voice("es", 1, engines(), profile="speaker-a", matcher=matcher)
    assert matched.style is not None and matched.style.shape == (510, 1, 256)
    stock = choose_speaker_voice("es", 1, engines(), profile="speaker-b", matcher=matcher)
    assert stock.style is None and stock.voice.id == "kokoro:jf_alpha"


def test_registry_names_engines_without_importing_them():
    import subprocess
    import sys

    code = (
        "import sys; from polydub.engines.tts import TTS_ENGINES; "
        "print(sorted(TTS_ENGINES.names())); "
        "print([m for m in ('onnxruntime', 'piper', 'phonemizer') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["['espeak', 'kokoro', 'piper']", "[]"]
