"""Shaping recogniser output into dubbing segments, and snapping word times to the audio."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from polydub.engines.asr.segments import RawSegment, RawWord, build_segments, split_words
from polydub.engines.asr.word_timing import WHISPER_WORD_LAG, refine_word_times, sound_mask

SR = 16000


def words_at(spans: list[tuple[float, float]], texts: list[str] | None = None) -> list[RawWord]:
    texts = texts or [f" w{i}" for i in range(len(spans))]
    return [RawWord(a, b, t) for (a, b), t in zip(spans, texts, strict=True)]


def steady_words(n: int, start: float = 0.0, length: float = 0.4, gap: float = 0.1):
    return words_at(
        [(start + i * (length + gap), start + i * (length + gap) + length) for i in range(n)]
    )


def test_segment_spans_its_words_not_the_padded_bounds():
    words = words_at([(1.3, 1.6), (1.7, 2.2)], [" Hello", " world."])
    [segment] = build_segments([RawSegment(0.0, 4.0, " Hello world.", tuple(words))], duration=5)
    assert (segment.start, segment.end) == (1.3, 2.2)
    assert segment.text == "Hello world."
    assert [w.text for w in segment.words] == ["Hello", "world."]


def test_long_segment_splits_at_the_sentence_end_rather_than_a_pause():
    words = steady_words(40)  # 20 s of words
    texts = [f" w{i}" for i in range(40)]
    texts[15] = " end."  # sentence end at 7.9 s
    pause_shifted = [
        RawWord(w.start + (0.5 if i >= 28 else 0), w.end + (0.5 if i >= 28 else 0), t)
        for i, (w, t) in enumerate(zip(words, texts, strict=True))
    ]
    pieces = split_words(pause_shifted, max_seconds=12.0)
    assert [p[-1].text for p in pieces][0] == " end."
    assert all(p[-1].end - p[0].start <= 12.0 for p in pieces)


def test_long_segment_without_punctuation_splits_at_the_longest_pause():
    words = steady_words(30)  # 15 s
    shifted = [
        RawWord(w.start + (0.8 if i >= 12 else 0), w.end + (0.8 if i >= 12 else 0), w.text)
        for i, w in enumerate(words)
    ]
    pieces = split_words(shifted, max_seconds=12.0)
    assert [len(p) for p in pieces] == [12, 18]


def test_split_avoids_tiny_pieces_when_the_strong_break_is_at_an_edge():
    words = steady_words(30)  # 15 s, sentence end after the first word
    texts = [" Yes."] + [f" w{i}" for i in range(1, 30)]
    words = [RawWord(w.start, w.end, t) for w, t in zip(words, texts, strict=True)]
    pieces = split_words(words, max_seconds=12.0, min_piece_seconds=2.0)
    assert all(p[-1].end - p[0].start >= 2.0 for p in pieces)


def test_one_long_word_is_kept_whole():
    assert split_words([RawWord(0.0, 20.0, " aaaa")], max_seconds=12.0) == [
        [RawWord(0.0, 20.0, " aaaa")]
    ]


def test_segments_are_numbered_clamped_and_empty_ones_dropped():
    raw = [
        RawSegment(5.0, 6.0, " later", tuple(words_at([(5.1, 5.9)], [" later"]))),
        RawSegment(0.0, 1.0, "  ", ()),
        RawSegment(1.0, 2.0, " no words", ()),
        RawSegment(9.0, 11.0, " end", tuple(words_at([(9.5, 10.7)], [" end"]))),
    ]
    segments = build_segments(raw, duration=10.0)
    assert [s.index for s in segments] == [0, 1, 2]
    assert [s.text for s in segments] == ["no words", "later", "end"]
    assert segments[-1].end == 10.0


def test_text_of_languages_without_spaces_is_joined_as_written():
    words = words_at([(0.0, 0.3), (0.3, 0.6)], ["你好", "世界。"])
    [segment] = build_segments([RawSegment(0, 1, "你好世界。", tuple(words))], duration=1)
    assert segment.text == "你好世界。"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 1.5), st.floats(0.05, 1.0), st.sampled_from([" a", " b.", " c,"])),
        min_size=1,
        max_size=80,
    )
)
def test_split_keeps_every_word_in_order_and_respects_the_limit(specs):
    t, words = 0.0, []
    for gap, length, text in specs:
        words.append(RawWord(t + gap, t + gap + length, text))
        t += gap + length
    pieces = split_words(words, max_seconds=12.0)
    assert [w for p in pieces for w in p] == words
    assert all(len(p) == 1 or p[-1].end - p[0].start <= 12.0 for p in pieces)


def tone_track(spans: list[tuple[float, float]], length: float, noise_db: float | None = None):
    """Tones at known spans (the "words") on digital silence or a noise floor."""
    t = np.arange(int(length * SR)) / SR
    audio = np.zeros_like(t, dtype=np.float32)
    for a, b in spans:
        inside = (t >= a) & (t < b)
        audio[inside] = 0.3 * np.sin(2 * np.pi * 300 * t[inside])
    if noise_db is not None:
        rng = np.random.default_rng(0)
        audio += (10 ** (noise_db / 20) * rng.standard_normal(len(t))).astype(np.float32)
    return audio


def test_word_times_snap_to_pauses_whisper_absorbed():
    truth = [(0.5, 1.0), (1.4, 2.0), (2.3, 2.6)]
    audio = tone_track(truth, 3.5, noise_db=-55)
    # Whisper-like errors: each word starts inside the pause before it, ends a bit early.
    whisper = words_at([(0.2, 0.9), (0.9, 1.85), (1.85, 2.5)])
    refined = refine_word_times(whisper, audio, SR)
    for word, (a, b) in zip(refined, truth, strict=True):
        assert abs(word.start - a) <= 0.02 and abs(word.end - b) <= 0.02


def test_boundaries_inside_continuous_sound_only_lose_the_measured_lag():
    audio = tone_track([(0.0, 3.0)], 3.0)
    whisper = words_at([(0.5, 1.0), (1.0, 2.0)])
    refined = refine_word_times(whisper, audio, SR)
    assert [round(w.start, 3) for w in refined] == [
        round(0.5 + WHISPER_WORD_LAG, 3),
        round(1.0 + WHISPER_WORD_LAG, 3),
    ]


def test_silent_audio_leaves_word_times_alone():
    whisper = words_at([(0.5, 1.0)])
    assert refine_word_times(whisper, np.zeros(SR * 2, np.float32), SR) == whisper


def test_sound_mask_ignores_digital_silence_when_finding_the_noise_floor():
    # Padding of digital zeros around a noisy recording must not lower the threshold
    # below the recording's noise: the noise-only second must read as silence.
    audio = np.concatenate([np.zeros(SR), tone_track([(1.0, 2.0)], 3.0, noise_db=-50)])
    hop = SR // 100
    levels = 20 * np.log10(
        np.maximum(np.sqrt((audio[: len(audio) // hop * hop].reshape(-1, hop) ** 2).mean(1)), 1e-6)
    )
    mask = sound_mask(levels)
    assert not mask[:200].any() and mask[210:290].all() and not mask[310:].any()
