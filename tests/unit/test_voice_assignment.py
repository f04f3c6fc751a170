"""Voice assignment: matched voices cached per profile, saved voices, stock fallbacks, the
registry, and the voice listing; with a counting stand-in for the voice bank (built by
synthesis) and the speaker encoder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from polydub.cli_voices import speaker_names
from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats, SpeakerProfile
from polydub.engines.tts.base import VoiceInfo
from polydub.engines.tts.matched import MatchedVoice, MatchedVoiceSynthesizer, VoiceStore
from polydub.engines.voice.voice_bank import BankVoice, Recipe
from polydub.errors import InvalidInputError
from polydub.media.pitch import pitch_stats
from polydub.pipeline.voice_matching import ProfileVoiceMatcher
from polydub.pipeline.voices import speaker_voice_assigner, stock_voice_assigner
from polydub.voice_catalog import check_saved_voices, list_voices, save_voice

KOKORO_GENDERS = {"jm_kumo": "male", "jf_alpha": "female", "jf_nezumi": "female"}


@dataclass
class DeclaredKokoro:
    """Declares Kokoro's languages and voices; never speaks."""

    name: str = "kokoro"
    sample_rate: int = 24000
    native_rate_control: bool = True

    def languages(self) -> set[str]:
        return {"en", "es", "fr", "de"}

    def voices(self, language: str | None = None) -> list[VoiceInfo]:
        if language is not None and language not in self.languages():
            return []
        return [
            VoiceInfo(f"kokoro:{n}", "kokoro", n, tuple(sorted(self.languages())), g)
            for n, g in KOKORO_GENDERS.items()
        ]


RATE = 24000


def _tone(f0: float, seconds: float = 1.5) -> np.ndarray:
    """A voiced-sounding harmonic complex at `f0` with a slow vibrato (Praat tracks it)."""
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.02 * np.sin(2 * np.pi * 3 * t))) / RATE
    return (0.1 * sum(np.sin(k * phase) / k for k in range(1, 12))).astype(np.float32)


class SpectrumEncoder:
    """Stands in for resemblyzer: a unit vector of the long-term spectrum's shape."""

    name = "resemblyzer"

    def embed(self, samples: np.ndarray) -> np.ndarray:
        spectrum = np.abs(np.fft.rfft(samples, 1024 * 8))[:2048].reshape(256, 8).sum(axis=1)
        return (spectrum / (np.linalg.norm(spectrum) + 1e-9)).astype(np.float32)


@dataclass
class CountingBank:
    """Stands in for VoiceBank: one banked reading per stock voice (harmonic tones at a man's
    and women's pitch), no synthesis; records each language a match asked for."""

    kokoro: DeclaredKokoro = field(default_factory=DeclaredKokoro)
    calls: list = field(default_factory=list)

    def __post_init__(self):
        self.encoders = [SpectrumEncoder()]
        self.pitches = {"jm_kumo": 100.0, "jf_alpha": 230.0, "jf_nezumi": 250.0}
        self.tables = {name: np.zeros((510, 1, 256), np.float32) for name in KOKORO_GENDERS}
        self._voices = [
            self.hear(Recipe(name, {name: 1.0}, sex), "en") for name, sex in KOKORO_GENDERS.items()
        ]

    def hear(self, recipe: Recipe, language: str) -> BankVoice | None:
        # A blend's tone sits at its weights' mix of the stock voices' pitches.
        pitch = sum(w * self.pitches[name] for name, w in recipe.weights.items())
        probe = Audio(_tone(pitch), RATE)
        stats = pitch_stats(probe.samples, RATE)
        if stats is None:  # as VoiceBank.hear: nothing voiced
            return None
        return BankVoice(
            recipe,
            stats,
            {"resemblyzer": self.encoders[0].embed(probe.samples)},
            probe,
        )

    def voices(self, language: str):
        self.calls.append(language)
        return self._voices

    def style(self, voice) -> np.ndarray:
        return np.full((510, 1, 256), 0.1, np.float32)


def _profile(speaker: str, seconds: float, pitch: float, seed: int) -> SpeakerProfile:
    emb = np.random.default_rng(seed).standard_normal(256)
    return SpeakerProfile(
        speaker=speaker,
        speech_seconds=seconds,
        reference_wav=Path("/nonexistent.wav"),
        reference_seconds=seconds,
        clips=[(0.0, seconds)],
        pitch=PitchStats(median=pitch, p10=pitch * 0.8, p90=pitch * 1.2),
        embedding=list(emb / np.linalg.norm(emb)),
        encoder="resemblyzer",
    )


@pytest.fixture
def setup(tmp_path):
    kokoro = DeclaredKokoro()
    synthesizers = {
        "kokoro": kokoro,
        "matched": MatchedVoiceSynthesizer(kokoro, VoiceStore(tmp_path / "cache"), name="matched"),
        "voice": MatchedVoiceSynthesizer(kokoro, VoiceStore(tmp_path / "saved"), name="voice"),
    }
    bank = CountingBank(kokoro)
    matcher = ProfileVoiceMatcher(bank, synthesizers["matched"].store, mode="speed")
    return synthesizers, bank, matcher


def test_each_speaker_is_matched_once_per_language_and_reused_by_another_job(setup):
    synthesizers, search, matcher = setup
    profiles = [_profile("SPEAKER_00", 6.0, 110, 1), _profile("SPEAKER_01", 8.0, 220, 2)]
    by_language = {
        lang: speaker_voice_assigner(lang, synthesizers, profiles, matcher=matcher)(
            ["SPEAKER_00", "SPEAKER_01"]
        )
        for lang in ("es", "fr", "de")
    }
    # One match per speaker and language: a voice's pitch differs between languages.
    assert sorted(search.calls) == ["de", "de", "es", "es", "fr", "fr"]
    assert all(v.startswith("matched:m-") for v in by_language["es"].values())
    assert by_language["es"]["SPEAKER_00"] != by_language["es"]["SPEAKER_01"]
    store = synthesizers["matched"].store
    man, woman = (store.load(by_language["es"][s].partition(":")[2]) for s in profiles_speakers())
    assert (man.gender, man.info["base_voice"]) == ("male", "kokoro:jm_kumo")
    assert woman.gender == "female"
    # A new matcher (another job) finds the matched voices in the cache.
    again = ProfileVoiceMatcher(search, store, mode="speed")
    assert (
        speaker_voice_assigner("es", synthesizers, profiles, matcher=again)(
            ["SPEAKER_00", "SPEAKER_01"]
        )
        == by_language["es"]
    )
    assert len(search.calls) == 6


def profiles_speakers() -> tuple[str, str]:
    return "SPEAKER_00", "SPEAKER_01"


def test_a_speaker_with_under_a_second_still_gets_a_voice_of_their_gender(setup):
    synthesizers, search, matcher = setup
    profiles = [_profile("SPEAKER_00", 6.0, 110, 1), _profile("SPEAKER_01", 0.6, 230, 2)]
    voices = speaker_voice_assigner("es", synthesizers, profiles, matcher=matcher)(
        ["SPEAKER_00", "SPEAKER_01"]
    )
    assert voices["SPEAKER_01"] in ("kokoro:jf_alpha", "kokoro:jf_nezumi")
    assert search.calls == ["es"]


def test_stock_voices_follow_each_speakers_gender(setup):
    synthesizers, _, _ = setup
    profiles = [
        _profile("SPEAKER_00", 6.0, 110, 1),
        _profile("SPEAKER_01", 5.0, 95, 2),
        _profile("SPEAKER_02", 4.0, 215, 3),
        _profile("SPEAKER_03", 4.0, 240, 4),
    ]
    speakers = [p.speaker for p in profiles]
    voices = stock_voice_assigner("es", synthesizers, profiles=profiles)(speakers)
    genders = {v: g for v, g in (("kokoro:" + n, g) for n, g in KOKORO_GENDERS.items())}
    # Two men share the one male voice; the women take the female voices in turn.
    assert [genders[voices[s]] for s in speakers] == ["male", "male", "female", "female"]
    assert voices["SPEAKER_02"] != voices["SPEAKER_03"]
    # Without profiles (nothing known of the speakers) genders alternate as before.
    unknown = stock_voice_assigner("es", synthesizers)(speakers[:2])
    assert {genders[v] for v in unknown.values()} == {"male", "female"}
    # Preferred voices of both sexes: each speaker takes one of their own sex.
    preferred = ("kokoro:jf_alpha", "kokoro:jf_nezumi", "kokoro:jm_kumo")
    chosen = stock_voice_assigner("es", synthesizers, preferred, profiles)(speakers)
    assert [genders[chosen[s]] for s in speakers] == ["male", "male", "female", "female"]


def test_saved_voice_is_reused_and_registry_refuses_unknown_names(setup):
    synthesizers, search, matcher = setup
    profiles = [_profile("SPEAKER_00", 6.0, 110, 1)]
    matched = speaker_voice_assigner("es", synthesizers, profiles, matcher=matcher)(["SPEAKER_00"])
    assert save_voice(synthesizers, matched["SPEAKER_00"], "anna") == "voice:anna"
    check_saved_voices(synthesizers, ["anna"])
    with pytest.raises(InvalidInputError):
        check_saved_voices(synthesizers, ["bob"])
    with pytest.raises(InvalidInputError):
        save_voice(synthesizers, "matched:m-unknown", "bob")
    with pytest.raises(InvalidInputError):
        save_voice(synthesizers, matched["SPEAKER_00"], "Not A Name")
    voices = speaker_voice_assigner(
        "fr", synthesizers, profiles, matcher=matcher, saved={"SPEAKER_00": "voice:anna"}
    )(["SPEAKER_00"])
    assert voices == {"SPEAKER_00": "voice:anna"}
    saved = synthesizers["voice"].store.load("anna")
    original = synthesizers["matched"].store.load(matched["SPEAKER_00"].partition(":")[2])
    # The pitch change and matching EQ travel with the voice: a reused voice sounds the same.
    assert saved.style.shape == (510, 1, 256)
    assert (saved.pitch_ratio, saved.spectrum_gains) == (
        original.pitch_ratio,
        original.spectrum_gains,
    )
    assert saved.pitch_ratio == pytest.approx(110 / 100, rel=0.05)


def test_voice_listing_has_stock_ids_per_language_and_saved_voices(setup):
    synthesizers, _, _ = setup
    synthesizers["voice"].store.save(
        "anna", MatchedVoice(np.zeros((510, 1, 256), np.float32), gender="female")
    )
    entries = list_voices(synthesizers, "es")
    assert [e.id for e in entries if e.kind == "stock"] == [f"kokoro:{n}" for n in KOKORO_GENDERS]
    assert [(e.id, e.kind) for e in entries if e.kind == "saved"] == [("voice:anna", "saved")]
    assert list_voices(synthesizers, "zu") == []


def test_speaker_name_pairs():
    assert speaker_names(["SPEAKER_00=anna", " SPEAKER_01 = bob "], "--voice") == (
        ("SPEAKER_00", "anna"),
        ("SPEAKER_01", "bob"),
    )
    with pytest.raises(InvalidInputError):
        speaker_names(["anna"], "--voice")


@dataclass
class RecordingCloner:
    """Stands in for XttsCloningSynthesizer: remembers what it cloned."""

    name: str = "xtts"
    clone_languages: frozenset = frozenset({"es", "fr"})
    cloned: dict = field(default_factory=dict)

    def has_voice(self, name: str) -> bool:
        return name in self.cloned

    def clone(self, name: str, reference_wavs: list[Path]) -> None:
        self.cloned[name] = reference_wavs


def test_a_configured_cloning_model_clones_once_and_style_matching_covers_the_rest(setup):
    from polydub.pipeline.voice_matching import CloningVoiceMatcher, FirstMatch

    synthesizers, search, styles = setup
    cloner = RecordingCloner()
    matcher = FirstMatch(CloningVoiceMatcher(cloner), styles)
    profiles = [_profile("SPEAKER_00", 6.0, 110, 1)]
    es = speaker_voice_assigner("es", synthesizers, profiles, matcher=matcher)(["SPEAKER_00"])
    fr = speaker_voice_assigner("fr", synthesizers, profiles, matcher=matcher)(["SPEAKER_00"])
    de = speaker_voice_assigner("de", synthesizers, profiles, matcher=matcher)(["SPEAKER_00"])
    assert es == fr and es["SPEAKER_00"].startswith("xtts:c-")
    assert list(cloner.cloned.values()) == [[Path("/nonexistent.wav")]]
    assert de["SPEAKER_00"].startswith("matched:m-")  # XTTS here does not speak German
    assert search.calls == ["de"]


def test_xtts_engine_says_what_to_install_when_coqui_is_missing(tmp_path):
    import importlib.util

    from polydub.engines.tts.xtts_clone import XttsCloningSynthesizer

    if importlib.util.find_spec("TTS") is not None:
        pytest.skip("coqui-tts is installed")
    with pytest.raises(ImportError, match="coqui-tts"):
        XttsCloningSynthesizer(tmp_path, tmp_path / "voices")
