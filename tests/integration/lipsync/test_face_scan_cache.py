"""A video's face scan is kept: the next lip-sync of the same video (another language, a
proofread edit) skips scanning and draws exactly the same frames."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.engines.lipsync.visemes import track_from_audio
from polydub.media.audio import decode_audio
from polydub.media.frames import read_frames, video_format
from polydub.pipeline.face_scan_cache import scan_dir
from polydub.pipeline.lipsync import lipsync_video, make_renderer

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", ["speed", "precision"])
def test_second_lipsync_reuses_the_scan_and_draws_the_same(talking_face, dub_wav, tmp_path, mode):
    fmt = video_format(talking_face)
    drive = track_from_audio(decode_audio(dub_wav, 16000), fmt.fps, 126)
    cache = tmp_path / "scans"

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
    assert second.scan_seconds < 0.25 * first.scan_seconds
    assert second.edited_frames == first.edited_frames == 125
    for a, b in zip(read_frames(first_out), read_frames(second_out), strict=True):
        assert np.array_equal(a.rgb, b.rgb)


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
