"""A video's face scan is kept: the next lip-sync of the same video (another language, a
proofread edit) skips scanning and draws the same frames."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.engines.lipsync.visemes import track_from_audio
from polydub.media.audio import decode_audio
from polydub.media.frames import FrameWriter, read_frames, video_format
from polydub.pipeline import lipsync as lipsync_module
from polydub.pipeline.face_scan_cache import scan_dir
from polydub.pipeline.lipsync import lipsync_video, make_renderer, scan_faces

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", ["speed", "precision"])
def test_second_lipsync_reuses_the_scan_and_draws_the_same(
    talking_face, dub_wav, tmp_path, mode, monkeypatch
):
    fmt = video_format(talking_face)
    drive = track_from_audio(decode_audio(dub_wav, 16000), fmt.fps, 126)
    cache = tmp_path / "scans"
    # Which runs scanned, counted rather than timed (seconds on a shared host are no proof).
    scans = []

    def counted_scan(*args, **kwargs):
        scans.append(args[0])
        return scan_faces(*args, **kwargs)

    monkeypatch.setattr(lipsync_module, "scan_faces", counted_scan)
    # What each run drew, as handed to the encoder.
    drawn: dict = {}
    write = FrameWriter.write

    def kept_write(writer, rgb):
        drawn.setdefault(writer.path, []).append(rgb.copy())
        write(writer, rgb)

    monkeypatch.setattr(FrameWriter, "write", kept_write)

    def run(name: str):
        renderer = make_renderer(mode)
        out = tmp_path / f"{name}.mp4"
        info = lipsync_video(
            talking_face, drive, out, mode=mode, renderer=renderer, scan_cache=cache
        )
        return info, out, renderer

    first, first_out, renderer = run("first")
    assert (scan_dir(cache, renderer) / "openings.npz").is_file()
    second, second_out, _ = run("second")
    print(f"{mode}: scan {first.scan_seconds:.2f} s, then {second.scan_seconds:.2f} s")
    assert scans == [talking_face]  # the first run scanned, the second read its scan
    assert second.edited_frames == first.edited_frames == 125
    # The same drawing, compared as drawn (before the encoder), within one level: in one
    # full-suite run both modes' encoded frames came out a level apart (117 against 118),
    # never when run alone; a scan read wrongly moves the mouth by many levels.
    first_drawn, second_drawn = drawn[first_out], drawn[second_out]
    assert len(first_drawn) == len(second_drawn) == len(list(read_frames(second_out)))
    for index, (a, b) in enumerate(zip(first_drawn, second_drawn, strict=True)):
        difference = np.abs(a.astype(np.int16) - b.astype(np.int16))
        assert difference.max() <= 1, (index, int(difference.max()))


def test_a_damaged_scan_is_scanned_again(talking_face, dub_wav, tmp_path):
    fmt = video_format(talking_face)
    drive = track_from_audio(decode_audio(dub_wav, 16000), fmt.fps, 126)
    cache = tmp_path / "scans"
    renderer = make_renderer("precision")
    lipsync_video(talking_face, drive, tmp_path / "a.mp4", renderer=renderer, scan_cache=cache)
    (scan_dir(cache, renderer) / "renderer.pkl").write_bytes(b"not a pickle")
    info = lipsync_video(
        talking_face, drive, tmp_path / "b.mp4", renderer=make_renderer("precision"),
        scan_cache=cache,
    )  # fmt: skip
    assert info.edited_frames == 125
    assert (scan_dir(cache, renderer) / "renderer.pkl").read_bytes() != b"not a pickle"
