"""Video slow-downs become ffmpeg pieces that cover the whole timeline exactly once."""

from __future__ import annotations

import pytest

from polydub.domain.timing import VideoStretch
from polydub.media.timewarp import audio_warp_filter, video_warp_filter, warp_pieces


def test_pieces_cover_the_timeline_in_order():
    stretches = [
        VideoStretch(start=1.0, end=2.0, factor=1.5),
        VideoStretch(start=4.0, end=5.0, factor=1.2),
    ]
    pieces = warp_pieces(stretches, 6.0)
    assert pieces == [
        (0.0, 1.0, 1.0),
        (1.0, 2.0, 1.5),
        (2.0, 4.0, 1.0),
        (4.0, 5.0, 1.2),
        (5.0, 6.0, 1.0),
    ]
    output = sum((b - a) * f for a, b, f in pieces)
    assert output == pytest.approx(6.0 + 0.5 + 0.2)


def test_stretch_at_the_very_start_and_end():
    pieces = warp_pieces([VideoStretch(start=0.0, end=3.0, factor=2.0)], 3.0)
    assert pieces == [(0.0, 3.0, 2.0)]


def test_filters_name_every_piece():
    stretches = [VideoStretch(start=1.0, end=2.0, factor=1.5)]
    video = video_warp_filter(stretches, 3.0, 25.0)
    audio = audio_warp_filter(stretches, 3.0)
    assert "concat=n=3:v=1:a=0" in video and "setpts=(PTS-STARTPTS)*1.500000" in video
    assert "concat=n=3:v=0:a=1" in audio and "rubberband=tempo=0.666667" in audio
