"""The voice bank knows how intelligible each candidate is, and matching weighs it: a voice
clearly less intelligible than the best reachable one of the speaker's sex is not chosen, nor
walked back into by the refinement; unknown intelligibility (no recogniser) excludes nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats
from polydub.engines.tts.base import VoiceInfo
from polydub.engines.voice.voice_bank import BankVoice, Recipe, VoiceBank, _load, _save
from polydub.engines.voice.voice_match import (
    INTELLIGIBILITY_MARGIN,
    MatchOptions,
    SpeakerTarget,
    match_speaker,
)
from polydub.engines.voice.voice_refine import RefineOptions, refine_match

RATE = 16000
WOMAN = PitchStats(median=220.0, p10=200.0, p90=240.0)
MAN = PitchStats(median=110.0, p10=100.0, p90=120.0)
# One hearing per candidate at its own formants: no Praat pass (pitch ratio 1 as well).
PLAIN = MatchOptions(3, (1.0,))


class LoudnessEncoder:
    """A speaker encoder whose embedding turns with the reading's amplitude: voices are told
    apart by how loud their (sine) probe is, and a blend sits between its voices."""

    name = "resemblyzer"

    def embed(self, samples: np.ndarray) -> np.ndarray:
        angle = np.pi * np.sqrt(2) * float(np.sqrt(np.mean(np.square(samples))))
        return np.array([np.cos(angle), np.sin(angle)], np.float32)


ENCODER = LoudnessEncoder()
# The stock voices' probe amplitudes: the speaker sounds like "alpha".
AMPLITUDE = {"alpha": 0.30, "nezumi": 0.20, "kumo": 0.25}


def _probe(amplitude: float, pitch: PitchStats = WOMAN) -> Audio:
    t = np.arange(RATE) / RATE
    return Audio((amplitude * np.sin(2 * np.pi * pitch.median * t)).astype(np.float32), RATE)


def _voice(weights: dict[str, float], sex: str, wer: float | None) -> BankVoice:
    pitch = MAN if sex == "male" else WOMAN
    probe = _probe(sum(w * AMPLITUDE[n] for n, w in weights.items()), pitch)
    name = "+".join(weights)
    embeddings = {ENCODER.name: ENCODER.embed(probe.samples)}
    return BankVoice(Recipe(name, weights, sex), pitch, embeddings, probe, word_error_rate=wer)


def _speaker_like(stock: str) -> SpeakerTarget:
    return SpeakerTarget({ENCODER.name: ENCODER.embed(_probe(AMPLITUDE[stock]).samples)}, WOMAN)


def _bank(alpha_wer, nezumi_wer, kumo_wer=None) -> list[BankVoice]:
    return [
        _voice({"alpha": 1.0}, "female", alpha_wer),
        _voice({"nezumi": 1.0}, "female", nezumi_wer),
        _voice({"kumo": 1.0}, "male", kumo_wer),
    ]


def _matched(bank: list[BankVoice], target: SpeakerTarget | None = None) -> str:
    return match_speaker(bank, target or _speaker_like("alpha"), [ENCODER], PLAIN).voice.name


def test_the_most_similar_voice_loses_when_clearly_less_intelligible():
    assert _matched(_bank(None, None)) == "alpha"  # unknown intelligibility: timbre decides
    assert _matched(_bank(0.20, 0.06)) == "nezumi"


def test_a_small_intelligibility_difference_does_not_outweigh_timbre():
    assert _matched(_bank(0.06 + INTELLIGIBILITY_MARGIN - 0.01, 0.06)) == "alpha"


def test_only_the_speakers_own_sex_sets_the_bar():
    # The man reads best of all; a woman is still matched among the women, by timbre.
    assert _matched(_bank(0.14, 0.16, kumo_wer=0.0)) == "alpha"


@dataclass
class BlendingBank:
    """Stands in for VoiceBank in the refinement: hears blends of the stock voices (their
    probes' amplitudes mixed); synthesises nothing else."""

    transcribe: object = None

    def __post_init__(self):
        self.tables = {n: np.zeros((510, 1, 256), np.float32) for n in ("alpha", "nezumi")}

    def hear(self, recipe: Recipe, language: str) -> BankVoice:
        return replace(_voice(recipe.weights, "female", None), recipe=recipe)


def _refined_alpha_share(alpha_wer: float | None) -> float:
    """How much alpha the refinement blends into a match of nezumi, for a speaker who
    sounds like alpha, when the bank measured alpha at `alpha_wer` (nezumi 0.05)."""
    blend_wer = None if alpha_wer is None else (alpha_wer + 0.05) / 2
    voices = [
        _voice({"alpha": 1.0}, "female", alpha_wer),
        _voice({"nezumi": 1.0}, "female", 0.05 if alpha_wer is not None else None),
        _voice({"alpha": 0.5, "nezumi": 0.5}, "female", blend_wer),
    ]
    target = _speaker_like("alpha")
    match = match_speaker(voices, target, [ENCODER], PLAIN)
    if alpha_wer is None:  # start the refinement where the intelligible case does
        match = match_speaker(voices[1:2], target, [ENCODER], PLAIN)
    assert match.voice.name == "nezumi"
    bank = BlendingBank()
    refined = refine_match(bank, voices, match, target, [ENCODER], "es", RefineOptions((0.5,)))
    return refined.voice.recipe.weights.get("alpha", 0.0)


def test_the_refinement_does_not_walk_back_into_a_less_intelligible_voice():
    # Unknown intelligibility: the step toward alpha goes as far as the trust region allows.
    assert _refined_alpha_share(None) > 0.3
    # Alpha reads with 35 % word errors, nezumi 5 %: a blend is predicted 0.05 + 0.3 * its
    # alpha share, and may not pass nezumi's 5 % + the margin.
    limit = INTELLIGIBILITY_MARGIN / 0.3
    share = _refined_alpha_share(0.35)
    assert 0.1 < share <= limit + 1e-6


class StockKokoro:
    """Declares two stock voices and their style tables; never speaks."""

    def voices(self):
        return [
            VoiceInfo(f"kokoro:{n}", "kokoro", n, ("es",), g)
            for n, g in (("jf_alpha", "female"), ("jm_kumo", "male"))
        ]

    def style(self, voice_id: str) -> np.ndarray:
        return np.full((510, 1, 256), len(voice_id), np.float32)


def test_the_bank_cache_keeps_each_voices_word_error_rate(tmp_path):
    bank = _bank(0.2, None)
    path = tmp_path / "bank.npz"
    _save(path, bank)
    loaded = _load(path, [v.recipe for v in bank])
    assert [v.word_error_rate for v in loaded] == [0.2, None, None]


def test_the_bank_cache_key_tells_recognisers_apart(tmp_path):
    def transcribe(samples, language):
        return ""

    def path(**kw):
        return VoiceBank(StockKokoro(), [ENCODER], tmp_path, stock_only=True, **kw)._path("es")

    plain = path()
    assert path(recogniser="whisper-small") == plain  # no recogniser: the name does not count
    assert path(transcribe=transcribe, recogniser="whisper-small") != plain
    assert path(transcribe=transcribe, recogniser="whisper-small") != path(
        transcribe=transcribe, recogniser="whisper-base"
    )
