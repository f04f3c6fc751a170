"""Text words placed on the phoneme runs a synthesis timed (engines/tts/word_timestamps)."""

from __future__ import annotations

import numpy as np

from polydub.engines.tts.base import PhonemeTiming
from polydub.engines.tts.kokoro import word_spans
from polydub.engines.tts.word_timestamps import text_words, word_timestamps

# A stand-in reading of single words, as eSpeak would give them.
READINGS = {"it": "ɪt", "is": "ɪz", "25": "twɛnti fIv", "degrees": "dɪɡɹiz", "cold": "kOld"}


def phonemize(word: str) -> str:
    return READINGS[word]


def run(phonemes: str, start: float, end: float) -> PhonemeTiming:
    return PhonemeTiming(phonemes, start, end)


def test_words_drop_surrounding_punctuation():
    assert text_words("¿Cómo estás? Don't — go.") == ["Cómo", "estás", "Don't", "go"]


def test_one_run_per_word_takes_the_runs_times():
    spans = [run("ɪt", 0.05, 0.2), run("ɪz", 0.25, 0.4), run("kOld", 0.5, 0.9)]
    words = word_timestamps("It is cold.", spans, phonemize)
    assert [(w.word, w.start, w.end) for w in words] == [
        ("It", 0.05, 0.2),
        ("is", 0.25, 0.4),
        ("cold", 0.5, 0.9),
    ]


def test_a_word_read_as_two_runs_spans_both():
    spans = [
        run("ɪt", 0.0, 0.2),
        run("ɪz", 0.3, 0.4),
        run("twɛnti", 0.5, 0.9),
        run("fIv", 1.0, 1.3),
        run("dɪɡɹiz", 1.4, 2.0),
    ]
    words = word_timestamps("it is 25 degrees", spans, phonemize)
    assert [(w.word, w.start, w.end) for w in words][2:] == [
        ("25", 0.5, 1.3),
        ("degrees", 1.4, 2.0),
    ]


def test_two_words_joined_in_one_run_share_it_in_order():
    spans = [run("ɪtɪz", 0.0, 0.8), run("kOld", 1.0, 1.5)]
    words = word_timestamps("it is cold", spans, phonemize)
    assert [(w.word, w.start, w.end) for w in words] == [
        ("it", 0.0, 0.4),
        ("is", 0.4, 0.8),
        ("cold", 1.0, 1.5),
    ]


def test_no_timed_runs_no_words():
    assert word_timestamps("it is", [], phonemize) == []


def test_kokoro_runs_are_split_at_spaces_without_punctuation():
    symbols = "ɪt ɪz, kOld."
    edges = np.arange(len(symbols) + 1) * 0.1
    spans = word_spans(symbols, edges)
    assert [(s.phoneme, round(s.start, 2), round(s.end, 2)) for s in spans] == [
        ("ɪt", 0.0, 0.2),
        ("ɪz", 0.3, 0.5),
        ("kOld", 0.7, 1.1),
    ]
