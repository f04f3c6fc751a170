"""The speaking astronaut clip at frame sizes below 720p: the 2x face (520 px) used to overflow
a 360-px-high frame ("could not broadcast (520,520,3) into (80,520,3)"); now it shrinks to
fit, whole and findable."""

from __future__ import annotations

import pytest

from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.face_samples import FACE_SIDE, fitting_zoom
from polydub.media.frames import read_frames, video_format
from polydub.samples import make_speaking_face_clip


def test_fitting_zoom_keeps_the_zoom_that_fits_and_shrinks_the_rest():
    assert fitting_zoom(1280, 720, 2.0) == 2.0
    assert fitting_zoom(640, 360, 2.0) * FACE_SIDE <= 0.9 * 360
    assert fitting_zoom(320, 240, 2.0) * FACE_SIDE <= 0.9 * 240
    assert fitting_zoom(240, 320, 2.0) * FACE_SIDE <= 0.9 * 240  # portrait: the width limits


@pytest.mark.parametrize("width,height", [(640, 360), (320, 240)])
def test_speaking_face_clip_below_720p_has_the_whole_face(tmp_path, width, height):
    path = tmp_path / "face.mp4"
    make_speaking_face_clip(path, 2.5, width=width, height=height)
    fmt = video_format(path)
    assert (fmt.width, fmt.height) == (width, height)
    with MediaPipeFaceLandmarker() as landmarker:
        frame = next(f for f in read_frames(path) if f.index == 10)
        faces = landmarker.landmarks(frame.rgb)
    assert len(faces) == 1
    xs, ys = faces[0][:, 0], faces[0][:, 1]
    assert xs.min() > 0 and ys.min() > 0 and xs.max() < width and ys.max() < height
    assert xs.max() - xs.min() > 0.3 * min(width, height)  # the face is not a speck
