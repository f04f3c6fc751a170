"""Clarity is a constraint of matching: a bank voice the recogniser hears clearly less well
than the clearest candidate is not chosen, however much it sounds like the speaker, and the
style-space refinement is held to the same bar. Without clarity scores nothing changes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats
from polydub.engines.voice.voice_bank import BankVoice, Recipe
from polydub.engines.voice.voice_match import (
    CLARITY_MARGIN,
    MatchOptions,
    SpeakerTarget,
    clear_enough,
    match_speaker,
)
from polydub.engines.voice.voice_refine import keeps_constraints
from polydub.media.pitch import pitch_stats

RATE = 16000


class SpectrumEncoder:
    name = "resemblyzer"

    def embed(self, samples: np.ndarray) -> np.ndarray:
        spectrum = np.abs(np.fft.rfft(samples, 1024 * 8))[:2048].reshape(256, 8).sum(axis=1)
        return (spectrum / (np.linalg.norm(spectrum) + 1e-9)).astype(np.float32)


def _tone(hz: float, brightness: float) -> np.ndarray:
    """Two seconds of a voiced-like harmonic tone; `brightness` sets how slowly its
    harmonics fall off (the timbre the encoder tells apart)."""
    t = np.arange(2 * RATE) / RATE
    wave = sum(brightness**k * np.sin(2 * np.pi * hz * (k + 1) * t) for k in range(12))
    return (0.3 * wave / np.max(np.abs(wave))).astype(np.float32)


def _voice(name: str, hz: float, brightness: float, clarity: float | None) -> BankVoice:
    samples = _tone(hz, brightness)
    return BankVoice(
        Recipe(name, {name: 1.0}, "female"),
        pitch_stats(samples, RATE),
        {"resemblyzer": SpectrumEncoder().embed(samples)},
        Audio(samples, RATE),
        clarity,
    )


def test_voices_heard_much_less_clearly_than_the_clearest_are_dropped():
    clear = _voice("clear", 220, 0.5, -0.40)
    close = _voice("close", 230, 0.5, -0.40 - 0.9 * CLARITY_MARGIN)
    mumbled = _voice("mumbled", 240, 0.5, -0.40 - 1.5 * CLARITY_MARGIN)
    unscored = _voice("unscored", 250, 0.5, None)
    kept, floor = clear_enough([clear, close, mumbled, unscored])
    assert [v.name for v in kept] == ["clear", "close", "unscored"]
    assert floor == -0.40 - CLARITY_MARGIN
    # A bank without scores keeps everyone and sets no floor.
    plain = [replace(v, clarity=None) for v in (clear, mumbled)]
    assert clear_enough(plain) == (plain, None)


def test_the_speakers_closest_voice_loses_to_a_clear_one_when_it_mumbles():
    speaker = _tone(225, 0.8)
    target = SpeakerTarget(
        {"resemblyzer": SpectrumEncoder().embed(speaker)},
        PitchStats(median=225.0, p10=200.0, p90=250.0),
    )
    bright = _voice("bright", 225, 0.8, -0.70)  # sounds like her, understood badly
    dull = _voice("dull", 225, 0.3, -0.40)
    options = MatchOptions(2, (1.0,))
    encoders = [SpectrumEncoder()]

    match = match_speaker([bright, dull], target, encoders, options)
    assert match.voice.name == "dull"
    assert match.clarity_floor == -0.40 - CLARITY_MARGIN
    # The same bank unscored: the closer timbre wins, so the choice above was clarity's.
    unscored = [replace(v, clarity=None) for v in (bright, dull)]
    match = match_speaker(unscored, target, encoders, options)
    assert match.voice.name == "bright" and match.clarity_floor is None


def test_a_refined_blend_must_clear_the_matchs_floor():
    target = SpeakerTarget({}, PitchStats(median=225.0, p10=200.0, p90=250.0))
    blend = _voice("blend", 225, 0.5, -0.55)
    assert not keeps_constraints(blend, target, clarity_floor=-0.50)
    assert keeps_constraints(blend, target, clarity_floor=-0.60)
    assert keeps_constraints(blend, target, clarity_floor=None)
    assert keeps_constraints(replace(blend, clarity=None), target, clarity_floor=-0.50)
