"""Refine a bank match in Kokoro's style space: a few syntheses past the nearest candidate.

Every bank candidate is a weighted sum of the stock style tables and is embedded on every
speaker encoder. A least-squares fit from those weights to the embeddings (per encoder, over
the whole bank) predicts where a new blend would land; the blend predicted to sound most
like the speaker (mean cosine over the encoders), within a trust region around the matched
candidate's weights, is synthesised and heard as the dub will be (pitch moved to the
speaker's, the match's formant scale, the EQ if the match kept it). It replaces the match
only when it scores higher as heard, keeps the speaker's sex and its pitch stays
reachable. Weights are bounded (no stock voice below -MAX_NEGATIVE): far outside the stock
voices Kokoro gets rough; and where the bank scores clarity, a blend is held to the bar the
bank's candidates met (voice_match.clear_enough): the recogniser must hear its probe about as
clearly as the clearest candidate the match was chosen from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from polydub.cancellation import raise_if_cancelled
from polydub.domain.speaker import voice_sex
from polydub.engines.voice.base import SpeakerEncoder, cosine
from polydub.engines.voice.voice_bank import BankVoice, Recipe, VoiceBank, probe_language
from polydub.engines.voice.voice_match import (
    MAX_SHIFT_SEMITONES,
    BankMatch,
    SpeakerTarget,
    dubbed_embeddings,
    heard_as_dubbed,
    land_pitch,
    mean_similarity,
    pitch_ratio_to,
    semitones,
)

# The most a stock voice may be subtracted in a blend (the bank's darkest men use 0.4).
MAX_NEGATIVE = 0.5
_DIRECTIONS = 2048  # random trust-region points the fit scores (numpy only: cheap)


@dataclass(frozen=True)
class RefineOptions:
    radii: tuple[float, ...]  # trust-region radii (L2, stock-weight units); one synthesis each

    @staticmethod
    def for_mode(mode: str) -> RefineOptions:
        if mode == "precision":
            return RefineOptions((0.25, 0.5, 0.75))
        return RefineOptions((0.5,))


def weights_of(recipe: Recipe, names: list[str]) -> np.ndarray:
    return np.array([recipe.weights.get(n, 0.0) for n in names])


def embedding_fit(voices: list[BankVoice], names: list[str], encoder: str) -> np.ndarray:
    """(stock voices x dims): blend weights -> the encoder's embedding, fitted on the bank."""
    weights = np.stack([weights_of(v.recipe, names) for v in voices])
    embeddings = np.stack([v.embeddings[encoder] for v in voices])
    fit, *_ = np.linalg.lstsq(weights, embeddings, rcond=None)
    return fit


def predicted_best(
    start: np.ndarray,
    heard: dict[str, np.ndarray],
    fits: dict[str, np.ndarray],
    target: SpeakerTarget,
    radius: float,
) -> np.ndarray:
    """The blend weights within `radius` of `start` (summing to the same total) whose
    predicted embeddings are closest to the speaker's, on the mean of the encoders.
    Predicted: the start as heard (`heard`: pitch moved, EQ) plus the fit's change, so the
    model need not know what Praat and the EQ do, only how blends differ."""
    rng = np.random.default_rng(0)  # deterministic: the same speaker gets the same voice
    steps = rng.standard_normal((_DIRECTIONS, len(start)))
    steps -= steps.mean(axis=1, keepdims=True)  # the blend's total weight stays put
    steps *= radius / np.linalg.norm(steps, axis=1, keepdims=True)
    steps *= rng.uniform(0.0, 1.0, (_DIRECTIONS, 1)) ** 0.5
    steps = np.vstack([np.zeros(len(start)), steps])
    steps = steps[(start + steps).min(axis=1) >= -MAX_NEGATIVE]
    score = np.zeros(len(steps))
    for name, fit in fits.items():
        predicted = heard[name] + steps @ fit
        predicted /= np.linalg.norm(predicted, axis=1, keepdims=True) + 1e-9
        score += predicted @ (target.embeddings[name] / np.linalg.norm(target.embeddings[name]))
    return start + steps[int(np.argmax(score))]


def refine_match(
    bank: VoiceBank,
    voices: list[BankVoice],
    match: BankMatch,
    target: SpeakerTarget,
    encoders: list[SpeakerEncoder],
    language: str,
    options: RefineOptions,
) -> BankMatch:
    """`match` moved through the style space toward the speaker (unchanged when no blend
    tried sounds more like them). `voices`: the bank of `language`."""
    language = probe_language(language)
    names = sorted(bank.tables)
    scored = [e.name for e in encoders if e.name in target.embeddings]
    fits = {n: embedding_fit(voices, names, n) for n in scored}
    start = weights_of(match.voice.recipe, names)
    # Blends are heard the way the match is: with its EQ only if it kept one.
    hearing = target if match.spectrum_gains else target.without_eq()
    heard, _ = dubbed_embeddings(
        match.voice.probe, hearing, encoders, match.pitch_ratio, match.formant_ratio
    )
    best = match
    for i, radius in enumerate(options.radii):
        raise_if_cancelled()
        weights = predicted_best(start, heard, fits, target, radius)
        if np.allclose(weights, start):
            continue
        recipe = Recipe(
            f"{match.voice.name}*{i}",
            {n: round(float(w), 4) for n, w in zip(names, weights, strict=True) if w},
            match.voice.sex,
        )
        voice = bank.hear(recipe, language)
        if voice is None or not keeps_constraints(voice, target, match.clarity_floor):
            continue
        ratio = pitch_ratio_to(target.pitch, voice.pitch)
        scores, gains = heard_as_dubbed(voice.probe, hearing, encoders, ratio, match.formant_ratio)
        if mean_similarity(scores) <= best.similarity:
            continue
        ratio, voice_hz = land_pitch(voice.probe, ratio, match.formant_ratio, match.speaker_pitch)
        start_scores = {k: cosine(v, target.embeddings[k]) for k, v in voice.embeddings.items()}
        best = replace(
            match,
            voice=voice,
            pitch_ratio=ratio,
            spectrum_gains=gains,
            start_similarity=mean_similarity(start_scores),
            similarity=mean_similarity(scores),
            similarities=scores,
            voice_pitch=voice_hz,
        )
    return best


def keeps_constraints(voice: BankVoice, target: SpeakerTarget, clarity_floor: float | None) -> bool:
    """Of the speaker's sex (when clear), heard clearly enough and movable to their pitch."""
    if target.sex is not None and voice_sex(voice.pitch) not in (target.sex, None):
        return False
    if clarity_floor is not None and voice.clarity is not None and voice.clarity < clarity_floor:
        return False
    if target.pitch is None:
        return True
    return abs(semitones(target.pitch.median / voice.pitch.median)) <= MAX_SHIFT_SEMITONES
