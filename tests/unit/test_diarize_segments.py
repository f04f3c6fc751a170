"""Splitting segments where the speaker changes between words (no model)."""

from __future__ import annotations

from polydub.domain.transcript import Segment, Word
from polydub.pipeline.diarize import (
    _absorb_short_runs,
    decision_units,
    join_words,
    split_at_speaker_changes,
)


def _segment(index: int, words: list[tuple[float, float, str]]) -> Segment:
    ws = [Word(start=s, end=e, text=t) for s, e, t in words]
    return Segment(index=index, start=ws[0].start, end=ws[-1].end, text=join_words(ws), words=ws)


def test_a_segment_with_two_speakers_is_split_at_the_word_boundary():
    seg = _segment(
        0, [(0.0, 0.4, "Yes,"), (0.5, 0.9, "indeed."), (1.0, 1.3, "And"), (1.4, 2.0, "you?")]
    )
    tail = _segment(1, [(3.0, 3.5, "Fine.")])
    out = split_at_speaker_changes([seg, tail], [[0, 0, 1, 1], [0]])
    assert [(s.index, s.speaker, s.text) for s in out] == [
        (0, "SPEAKER_00", "Yes, indeed."),
        (1, "SPEAKER_01", "And you?"),
        (2, "SPEAKER_00", "Fine."),
    ]
    assert out[0].end == 0.9 and out[1].start == 1.0


def test_segment_without_words_keeps_its_text_and_gets_one_label():
    seg = Segment(index=0, start=1.0, end=3.0, text="From a subtitle file.")
    (out,) = split_at_speaker_changes([seg], [[1]])
    assert out.text == "From a subtitle file." and out.speaker == "SPEAKER_01"
    assert len(decision_units([seg])) == 4  # one decision every 0.5 s


def test_short_runs_inside_a_segment_are_absorbed():
    seg = _segment(0, [(0.0, 0.5, "a"), (0.6, 1.0, "b"), (1.0, 1.2, "c"), (1.3, 2.0, "d")])
    assert _absorb_short_runs(seg, [0, 0, 1, 0]) == [0, 0, 0, 0]
    # A run of at least half a second is a real change.
    assert _absorb_short_runs(seg, [0, 0, 1, 1]) == [0, 0, 1, 1]
