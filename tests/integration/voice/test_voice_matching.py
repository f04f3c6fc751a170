"""Voice matching with the real models: Kokoro styles tuned toward a speaker (resemblyzer
scores), and the pipeline giving each speaker the same matched voice in every language."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.domain.audio import Audio
from polydub.domain.speaker import PitchStats
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, cosine
from polydub.engines.voice.style_search import (
    KokoroStyleSearch,
    StyleSearchOptions,
    pitch_change,
    pitch_reachable,
)
from polydub.media.audio import resample
from polydub.media.pitch import pitch_stats, shift_voice
from polydub.media.spectrum_match import apply_gains
from polydub.pipeline.voice_plan import asr_round_trip

pytestmark = pytest.mark.integration

HELD_OUT = (
    "La reunión se movió al jueves porque la sala no estaba libre.",
    "Caminamos junto al río hasta que el sol se escondió detrás de las colinas.",
)


def _speaker_a(dialogue) -> np.ndarray:
    """Piper's male voice from the dialogue: a voice Kokoro does not ship."""
    _, audio, reference, _ = dialogue
    spans = [(s, e) for s, e, k in reference if k == "A"]
    return np.concatenate([audio.samples[int(s * 16000) : int(e * 16000)] for s, e in spans])


def _held_out(kokoro, style, pitch_ratio=1.0, formant_ratio=1.0, gains=()) -> np.ndarray:
    pieces = []
    for text in HELD_OUT:
        audio = kokoro.synthesize_with_style(text, language="es", style=style).audio
        samples = shift_voice(
            audio.samples, audio.sample_rate, pitch_ratio=pitch_ratio, formant_ratio=formant_ratio
        )
        samples = apply_gains(samples, audio.sample_rate, gains)
        pieces.append(resample(Audio(samples, audio.sample_rate), ENCODER_SAMPLE_RATE).samples)
    return np.concatenate(pieces)


def test_matched_voice_sounds_more_like_the_speaker_on_unseen_spanish(dialogue, engines):
    kokoro = engines.synthesizers["kokoro"]
    encoder = engines.speaker_encoder
    reference = _speaker_a(dialogue)[: 10 * ENCODER_SAMPLE_RATE]
    target, pitch = encoder.embed(reference), pitch_stats(reference, ENCODER_SAMPLE_RATE)
    match = KokoroStyleSearch(kokoro, encoder, asr_round_trip(engines)).search(
        target,
        pitch,
        language="en",
        options=StyleSearchOptions.for_mode("speed"),
        reference=reference,
    )
    stock = cosine(encoder.embed(_held_out(kokoro, kokoro.style(match.base_voice))), target)
    voice = (match.style, match.pitch_ratio, match.formant_ratio)
    matched_audio = _held_out(kokoro, *voice, match.spectrum_gains)
    matched = cosine(encoder.embed(matched_audio), target)
    without_eq = cosine(encoder.embed(_held_out(kokoro, *voice)), target)
    dub_pitch = pitch_stats(matched_audio, ENCODER_SAMPLE_RATE)
    print(
        f"\nPiper speaker: {match.base_voice} {stock:.3f} -> matched {matched:.3f} (without "
        f"its EQ {without_eq:.3f}) on unseen Spanish (probe {match.start_similarity:.3f} -> "
        f"{match.similarity:.3f}, "
        f"{match.syntheses} syntheses); pitch {pitch.median:.0f} Hz, dub {dub_pitch.median:.0f} Hz"
    )
    assert match.base_voice == "kokoro:jm_kumo"  # a male speaker starts from the male voice
    assert matched > stock + 0.02
    # The matching EQ adds to what the style and Praat reach, on speech it was not fitted to.
    assert matched > without_eq
    # The dub's pitch lands within two semitones of the speaker's.
    assert abs(np.log2(dub_pitch.median / pitch.median)) < 2 / 12


def _tone(f0: float, rate: int = 24000) -> Audio:
    """One second of a voiced-like harmonic tone at `f0` Hz."""
    t = np.arange(rate) / rate
    samples = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    return Audio((0.3 * samples).astype(np.float32), rate)


def test_pitch_ratio_moves_to_the_speaker_median_within_limits():
    tone = _tone(200.0)
    assert pitch_change(tone, None) == 1.0
    assert pitch_change(tone, PitchStats(median=150.0, p10=140.0, p90=160.0)) == pytest.approx(
        0.75, abs=0.01
    )
    # At most half an octave down; under half a semitone is not worth processing.
    assert pitch_change(tone, PitchStats(median=60.0, p10=55.0, p90=65.0)) == pytest.approx(1 / 1.5)
    assert pitch_change(tone, PitchStats(median=203.0, p10=190.0, p90=210.0)) == 1.0


def test_a_start_voice_must_reach_the_speaker_pitch():
    tone = _tone(200.0)
    assert pitch_reachable(tone, None)
    assert pitch_reachable(tone, PitchStats(median=140.0, p10=120.0, p90=160.0))
    assert not pitch_reachable(tone, PitchStats(median=95.0, p10=85.0, p90=110.0))
    assert not pitch_reachable(tone, PitchStats(median=320.0, p10=290.0, p90=350.0))


def test_stock_readings_are_synthesised_once_per_model(dialogue, engines):
    reference = _speaker_a(dialogue)[: 10 * ENCODER_SAMPLE_RATE]
    target = engines.speaker_encoder.embed(reference)
    pitch = pitch_stats(reference, ENCODER_SAMPLE_RATE)
    search = KokoroStyleSearch(engines.synthesizers["kokoro"], engines.speaker_encoder)
    no_steps = StyleSearchOptions(rounds=0, candidates=0)
    first = search.search(target, pitch, language="en", options=no_steps)
    again = search.search(target, pitch, language="en", options=no_steps)
    # At most every stock voice reading the probe, and the start voice the check sentence.
    assert first.syntheses <= len(engines.synthesizers["kokoro"].voices("en")) + 1
    assert again.syntheses == 0
    assert again.base_voice == first.base_voice
    # The same readings score the same: nothing in scoring is random (Praat is seeded).
    assert again.similarity == pytest.approx(first.similarity, abs=1e-4)
