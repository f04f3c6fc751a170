"""The style-space refinement's search: it stays in its trust region and the weights' bounds,
keeps the blend's total weight, and follows the fitted slope toward the speaker."""

from __future__ import annotations

import numpy as np

from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats
from polydub.engines.voice.voice_bank import BankVoice, Recipe
from polydub.engines.voice.voice_match import SpeakerTarget
from polydub.engines.voice.voice_refine import (
    MAX_NEGATIVE,
    embedding_fit,
    predicted_best,
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
