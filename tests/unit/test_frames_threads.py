"""Frames decoded ahead and encoded behind on threads of their own give the same video."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.media.frames import FrameWriter, read_ahead, read_frames


def _frames(count: int = 12) -> list[np.ndarray]:
    """A smooth picture moving sideways (4:2:0 keeps it close to what was written)."""
    ys, xs = np.mgrid[0:96, 0:128]
    base = np.stack([xs * 2, ys * 2, 128 + 60 * np.sin(xs / 9.0)], axis=-1).astype(np.uint8)
    return [np.roll(base, 4 * k, axis=1) for k in range(count)]


def test_read_ahead_yields_everything_in_order():
    assert list(read_ahead(iter(range(50)), depth=3)) == list(range(50))


def test_read_ahead_raises_the_producers_error_in_the_caller():
    def failing():
        yield 1
        raise ValueError("decoder broke")

    got = []
    with pytest.raises(ValueError, match="decoder broke"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1]


def test_read_ahead_stopped_early_closes_the_source():
    closed = []

    def source():
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    ahead = read_ahead(source(), depth=2)
    assert next(ahead) == 0
    ahead.close()
    assert closed == [True]


def test_writer_behind_writes_the_same_frames(tmp_path):
    frames = _frames()
    for behind in (0, 3):
        with FrameWriter(tmp_path / f"{behind}.mp4", 25.0, behind=behind) as writer:
            for rgb in frames:
                writer.write(rgb)
    inline = [f.rgb for f in read_frames(tmp_path / "0.mp4")]
    threaded = [f.rgb for f in read_frames(tmp_path / "3.mp4")]
    assert len(inline) == len(threaded) == len(frames)
    for a, b in zip(inline, threaded, strict=True):
        assert np.array_equal(a, b)
    # And the picture is the one written (up to the codec's rounding).
    assert np.abs(inline[5].astype(int) - frames[5]).mean() < 3


def test_writer_behind_raises_an_encoding_error(tmp_path):
    with pytest.raises(Exception):  # noqa: B017 (OpenCV's error type is its own)
        with FrameWriter(tmp_path / "bad.mp4", 25.0, behind=2) as writer:
            for k in range(8):
                writer.write(np.zeros((64, 64, 3 if k < 2 else 5), np.uint8))
