"""Caption cutting, writing and reading (SRT and WebVTT round trips)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polydub.subtitles.captions import (
    MAX_LINE_CHARS,
    Cue,
    parse_srt,
    parse_vtt,
    read_srt,
    read_vtt,
    split_into_cues,
    write_srt,
    write_vtt,
)


def test_short_line_is_one_cue():
    (cue,) = split_into_cues("Hola a todos.", 1.0, 2.5)
    assert cue == Cue(1.0, 2.5, "Hola a todos.")


def test_long_line_is_cut_into_timed_cues_of_two_lines():
    text = " ".join(["palabra"] * 40)
    cues = split_into_cues(text, 10.0, 20.0)
    assert len(cues) > 1
    assert cues[0].start == 10.0 and cues[-1].end == 20.0
    for a, b in zip(cues, cues[1:], strict=False):
        assert a.end == pytest.approx(b.start)
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= 2
        assert all(len(line) <= MAX_LINE_CHARS for line in lines)
    assert " ".join(c.text.replace("\n", " ") for c in cues) == text


def test_empty_text_has_no_cues():
    assert split_into_cues("   ", 0.0, 1.0) == []


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíóúñç¿?¡!.,", min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(words, min_size=1, max_size=30), min_size=1, max_size=8))
def test_srt_and_vtt_round_trip(tmp_path_factory, lines):
    cues, t = [], 0.0
    for line in lines:
        for cue in split_into_cues(" ".join(line), t, t + 3.0):
            cues.append(cue)
        t += 3.5
    d = tmp_path_factory.mktemp("captions")
    for write, read in ((write_srt, read_srt), (write_vtt, read_vtt)):
        back = read(write(cues, d / f"c.{write.__name__}"))
        assert [c.text for c in back] == [c.text for c in cues]
        for a, b in zip(back, cues, strict=True):
            assert a.start == pytest.approx(b.start, abs=1e-3)
            assert a.end == pytest.approx(b.end, abs=1e-3)


def test_vtt_reader_skips_notes_and_accepts_short_timestamps():
    text = (
        "WEBVTT\n\nNOTE hi\n\n00:01.000 --> 00:02.500\nUno\n\n"
        "x\n01:00:00.000 --> 01:00:01.000\nDos\n"
    )
    assert parse_vtt(text) == [Cue(1.0, 2.5, "Uno"), Cue(3600.0, 3601.0, "Dos")]


def test_bad_caption_files_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="WebVTT"):
        parse_vtt("1\n00:00:01,000 --> 00:00:02,000\nhi\n")
    with pytest.raises(ValueError, match="SRT"):
        parse_srt("1\n00:00:01,000 --> nonsense\nhi\n")
