"""Lip-sync is never worse than doing nothing: a line whose redraw follows the dub less well
than the untouched mouth keeps its source frames, and the run says so."""

from __future__ import annotations

import numpy as np
import pytest
from face_clips import FPS, SECONDS

from polydub.engines.lipsync.visemes import track_from_audio
from polydub.media.audio import decode_audio
from polydub.media.frames import read_frames
from polydub.pipeline.lipsync import lipsync_video
from polydub.pipeline.lipsync_lines import KEPT_ORIGINAL, REDRAWN, LineSpan

pytestmark = pytest.mark.integration


def test_a_line_drawn_against_the_dub_keeps_its_source_frames(talking_face, dub_wav, tmp_path):
    dub = decode_audio(dub_wav, 16000)
    frames = int(SECONDS * FPS) + 1
    drive = track_from_audio(dub, FPS, frames)
    half = frames // 2
    # The second line's mouth is drawn upside down against the dub: open where it is quiet.
    tail = drive.opening[half:]
    drive.opening[half:] = tail.max() - tail
    lines = [LineSpan(0, 0.0, half / FPS), LineSpan(1, half / FPS, SECONDS)]
    out = tmp_path / "synced.mp4"
    info = lipsync_video(
        talking_face,
        drive,
        out,
        source_speech=decode_audio(talking_face, 16000),
        dub_speech=dub,
        lines=lines,
    )
    first, second = info.lines
    print([(o.status, o.floor, o.lip_synced) for o in info.lines], info.warnings)
    assert first.status == REDRAWN and first.lip_synced >= first.floor
    assert second.status == KEPT_ORIGINAL and second.lip_synced < second.floor
    assert info.edited_frames == first.edited_frames
    assert any("1 of 2 lines were left untouched" in w for w in info.warnings)
    # The kept line's frames are the source's (up to the codec's rounding); the first line's
    # mouth was redrawn.
    diffs = [
        np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean()
        for a, b in zip(read_frames(talking_face), read_frames(out), strict=True)
    ]
    assert max(diffs[half + 2 :]) < 1.0
    assert max(diffs[: half - 2]) > max(diffs[half + 2 :])


def test_each_line_redraws_the_face_that_speaks_it(two_faces, dub_wav, tmp_path):
    """Two faces, the source speech from the left one: every line picks her, and only her."""
    dub = decode_audio(dub_wav, 16000)
    frames = int(SECONDS * FPS) + 1
    info = lipsync_video(
        two_faces,
        track_from_audio(dub, FPS, frames),
        tmp_path / "synced.mp4",
        source_speech=decode_audio(two_faces, 16000),
        dub_speech=dub,
        lines=[LineSpan(0, 0.2, 2.4), LineSpan(1, 2.6, 4.8)],
    )
    print([(o.face, o.status, o.floor, o.lip_synced) for o in info.lines], info.speakers)
    assert len(info.speakers) == 1 and info.faces_found == 2
    speaker = info.speakers[0].track_id
    assert [o.face for o in info.lines] == [speaker, speaker]
    assert all(o.status == REDRAWN for o in info.lines)
