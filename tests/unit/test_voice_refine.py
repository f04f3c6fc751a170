"""The style-space refinement's search: it stays in its trust region and the weights' bounds,
keeps the blend's total weight, and follows the fitted slope toward the speaker; the
naturalness checks refuse a blend or formant scale that is understood worse as dubbed."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats
from polydub.engines.voice.base import cosine
from polydub.engines.voice.voice_bank import BankVoice, Recipe
from polydub.engines.voice.voice_match import BankMatch, MatchOptions, SpeakerTarget, match_speaker
from polydub.engines.voice.voice_refine import (
    MAX_NEGATIVE,
    RefineOptions,
    embedding_fit,
    predicted_best,
    refine_match,
    weights_of,
)

NAMES = ["a", "b", "c", "d"]
RNG = np.random.default_rng(3)
# A linear world: each stock voice has an embedding, a blend's is the weighted sum.
STOCK = {n: RNG.standard_normal(8) for n in NAMES}


def _voice(weights: dict[str, float]) -> BankVoice:
    embedding = sum(w * STOCK[n] for n, w in weights.items())
    pitch = PitchStats(median=120.0, p10=100.0, p90=140.0)
    return BankVoice(
        Recipe("-".join(weights), weights, "male"),
        pitch,
        {"enc": embedding},
        Audio(np.zeros(1), 16000),
    )


BANK = [_voice({n: 1.0}) for n in NAMES] + [
    _voice({"a": 0.5, "b": 0.5}),
    _voice({"c": 0.7, "d": 0.3}),
]


def test_the_fit_recovers_a_linear_bank():
    fit = embedding_fit(BANK, NAMES, "enc")
    assert np.allclose(fit, np.stack([STOCK[n] for n in NAMES]), atol=1e-6)


def test_the_search_moves_toward_the_speaker_within_its_bounds():
    start = weights_of(BANK[0].recipe, NAMES)  # all "a"
    speaker = 0.6 * STOCK["a"] + 0.4 * STOCK["c"]
    target = SpeakerTarget({"enc": speaker / np.linalg.norm(speaker)}, None)
    fits = {"enc": embedding_fit(BANK, NAMES, "enc")}
    best = predicted_best(start, {"enc": STOCK["a"]}, fits, target, radius=0.5)
    assert np.linalg.norm(best - start) <= 0.5 + 1e-9
    assert abs(best.sum() - start.sum()) < 1e-9
    assert best.min() >= -MAX_NEGATIVE
    assert best[NAMES.index("c")] > 0.2  # toward the voice the speaker is partly made of

    def cos(w):
        e = w @ fits["enc"]
        return float(e @ target.embeddings["enc"] / np.linalg.norm(e))

    assert cos(best) > cos(start) + 0.03


# The naturalness checks, with the Praat/encoder hearing replaced by stand-ins: a blend or a
# formant scale that sounds closer but is understood worse as dubbed is not taken.


class _FakeBank:
    """Hears any recipe in the linear world above; remembers what it was asked for."""

    def __init__(self) -> None:
        self.tables = {n: np.zeros(1) for n in NAMES}
        self.heard: list[Recipe] = []

    def hear(self, recipe: Recipe, language: str) -> BankVoice:
        self.heard.append(recipe)
        return _voice(recipe.weights)


def _stand_in_hearing(monkeypatch, module, errors_of):
    """Hearing as dubbed = the banked embedding (formant 1.04 a little closer); word
    errors from `errors_of(probe samples, formant)`."""

    def heard(probe, target, encoders, ratio, formant, *a):
        voice = next(v for v in [*BANK, *_HEARD] if v.probe is probe)
        scores = {"enc": cosine(voice.embeddings["enc"], target.embeddings["enc"])}
        return {"enc": scores["enc"] + (0.01 if formant == 1.04 else 0.0)}, ()

    def embeddings(probe, target, encoders, ratio, formant):
        voice = next(v for v in [*BANK, *_HEARD] if v.probe is probe)
        return dict(voice.embeddings), ()

    def errors(probe, target, ratio, formant, language, transcribe, gains=None):
        return errors_of(probe, formant)

    monkeypatch.setattr(module, "heard_as_dubbed", heard)
    monkeypatch.setattr(module, "dubbed_word_errors", errors)
    monkeypatch.setattr(module, "land_pitch", lambda probe, r, f, hz: (r, 120.0))
    if hasattr(module, "dubbed_embeddings"):
        monkeypatch.setattr(module, "dubbed_embeddings", embeddings)


_HEARD: list[BankVoice] = []


def _refine_setup(monkeypatch, errors_of):
    import polydub.engines.voice.voice_refine as refine

    bank = _FakeBank()
    original = bank.hear

    def hear(recipe, language):
        voice = original(recipe, language)
        _HEARD.append(voice)
        return voice

    bank.hear = hear
    _stand_in_hearing(monkeypatch, refine, errors_of)
    speaker = 0.5 * STOCK["a"] + 0.5 * STOCK["c"]
    target = SpeakerTarget({"enc": speaker / np.linalg.norm(speaker)}, None)
    match = BankMatch(
        voice=BANK[0],
        pitch_ratio=1.0,
        formant_ratio=1.0,
        spectrum_gains=(),
        start_similarity=0.0,
        similarity=cosine(BANK[0].embeddings["enc"], target.embeddings["enc"]),
        similarities={},
        speaker_pitch=None,
        voice_pitch=120.0,
    )
    return bank, target, match


class _Encoder:
    name = "enc"


def test_refinement_hears_every_radius_and_takes_a_closer_blend(monkeypatch):
    bank, target, match = _refine_setup(monkeypatch, lambda probe, formant: 0)
    options = RefineOptions((0.25, 0.5))
    found = refine_match(bank, BANK, match, target, [_Encoder()], "es", options, None)
    assert len(bank.heard) == 2  # both radii, synthesised side by side
    assert found.voice is not match.voice
    assert found.similarity > match.similarity


def test_refinement_refuses_a_blend_understood_worse_as_dubbed(monkeypatch):
    def errors(probe, formant):
        return 0 if probe is BANK[0].probe else 2  # every blend loses two words

    bank, target, match = _refine_setup(monkeypatch, errors)
    found = refine_match(
        bank,
        BANK,
        match,
        target,
        [_Encoder()],
        "es",
        RefineOptions.for_mode("speed"),
        lambda samples, language: "",
    )
    assert found is match


@pytest.mark.parametrize(
    ("case", "errors_at_104", "formant"),
    [("understood as well", 0, 1.04), ("loses a word", 1, 1.0)],
)
def test_a_formant_scale_is_kept_only_if_the_dub_is_understood_as_well(
    monkeypatch, case, errors_at_104, formant
):
    import polydub.engines.voice.voice_match as matching

    _stand_in_hearing(monkeypatch, matching, lambda probe, f: errors_at_104 if f == 1.04 else 0)
    speaker = 0.5 * STOCK["a"] + 0.5 * STOCK["c"]
    target = SpeakerTarget({"enc": speaker / np.linalg.norm(speaker)}, None)
    options = MatchOptions(candidates=2, formants=(1.0, 1.04))
    found = match_speaker(BANK, target, [_Encoder()], options, lambda samples, language: "", "es")
    assert found.formant_ratio == formant


def test_speed_mode_keeps_the_voices_own_formants():
    # Formant scales cost words on real speakers' dubs (bench/voices_wer_causes.py).
    assert MatchOptions.for_mode("speed").formants == (1.0,)
