"""Voice matching with the real models: Kokoro styles tuned toward a speaker (resemblyzer
scores), and the pipeline giving each speaker the same matched voice in every language."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.domain.audio import Audio
from polydub.engines.voice.base import ENCODER_SAMPLE_RATE, cosine
from polydub.engines.voice.style_search import KokoroStyleSearch, StyleSearchOptions
from polydub.media.audio import resample
from polydub.media.pitch import pitch_stats, shift_voice
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


def _held_out(kokoro, style, pitch_ratio=1.0, formant_ratio=1.0) -> np.ndarray:
    pieces = []
    for text in HELD_OUT:
        audio = kokoro.synthesize_with_style(text, language="es", style=style).audio
        samples = shift_voice(
            audio.samples, audio.sample_rate, pitch_ratio=pitch_ratio, formant_ratio=formant_ratio
        )
        pieces.append(resample(Audio(samples, audio.sample_rate), ENCODER_SAMPLE_RATE).samples)
    return np.concatenate(pieces)


def test_matched_voice_sounds_more_like_the_speaker_on_unseen_spanish(dialogue, engines):
    kokoro = engines.synthesizers["kokoro"]
    encoder = engines.speaker_encoder
    reference = _speaker_a(dialogue)[: 10 * ENCODER_SAMPLE_RATE]
    target, pitch = encoder.embed(reference), pitch_stats(reference, ENCODER_SAMPLE_RATE)
    match = KokoroStyleSearch(kokoro, encoder, asr_round_trip(engines)).search(
        target, pitch, language="en", options=StyleSearchOptions.for_mode("speed")
    )
    stock = cosine(encoder.embed(_held_out(kokoro, kokoro.style(match.base_voice))), target)
    matched_audio = _held_out(kokoro, match.style, match.pitch_ratio, match.formant_ratio)
    matched = cosine(encoder.embed(matched_audio), target)
    dub_pitch = pitch_stats(matched_audio, ENCODER_SAMPLE_RATE)
    print(
        f"\nPiper speaker: {match.base_voice} {stock:.3f} -> matched {matched:.3f} on unseen "
        f"Spanish (probe {match.start_similarity:.3f} -> {match.similarity:.3f}, "
        f"{match.syntheses} syntheses); pitch {pitch.median:.0f} Hz, dub {dub_pitch.median:.0f} Hz"
    )
    assert match.base_voice == "kokoro:jm_kumo"  # a male speaker starts from the male voice
    assert matched > stock + 0.02
    # The dub's pitch lands within two semitones of the speaker's.
    assert abs(np.log2(dub_pitch.median / pitch.median)) < 2 / 12
