"""Precision mode on single frames: real mouths from the speaker's other frames, chosen by
shape, placed without touching anything outside the mouth region and without a seam."""

from __future__ import annotations

import numpy as np
import pytest

from polydub.engines.face.landmarks import mouth_opening
from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.engines.lipsync.base import MouthTarget
from polydub.engines.lipsync.exemplar import MouthExemplars
from polydub.engines.lipsync.seams import seam_energy_ratio
from polydub.face_samples import TalkingFaces, one_face_placement

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def indexed():
    """An exemplar index learned from the same face with its mouth at 12 openings."""
    faces = TalkingFaces(960, 540, [one_face_placement(960, 540, zoom=1.6)])
    exemplars = MouthExemplars()
    with MediaPipeFaceLandmarker() as landmarker:
        for opening in np.linspace(0.0, 1.0, 12):
            frame = faces.frame([opening])
            exemplars.observe(0, frame, landmarker.landmarks(frame)[0])
    return faces, exemplars


def test_index_holds_distinct_shapes(indexed):
    _, exemplars = indexed
    assert exemplars.exemplars(0) >= 8


@pytest.mark.parametrize("source_opening", [0.0, 0.6])
def test_exemplar_mouth_replaces_only_the_mouth_region(indexed, source_opening):
    faces, exemplars = indexed
    frame = faces.frame([source_opening])
    with MediaPipeFaceLandmarker() as landmarker:
        points = landmarker.landmarks(frame)[0]
    for target in (0.12, 0.2, 0.28):
        edit = exemplars.render(frame, points, MouthTarget(target))
        outside = edit.frame_mask() == 0
        assert np.array_equal(edit.rgb[outside], frame[outside])
        ratio = seam_energy_ratio(frame, edit.rgb, edit.mask, edit.box)
        with MediaPipeFaceLandmarker() as landmarker:
            measured = mouth_opening(landmarker.landmarks(edit.rgb)[0])
        print(f"{source_opening} -> {target}: measured {measured:.3f}, seam ratio {ratio:.3f}")
        assert 0.9 <= ratio <= 1.1
        assert measured == pytest.approx(target, abs=0.04)


def test_the_previous_exemplar_is_kept_while_it_fits(indexed):
    _, exemplars = indexed
    first = exemplars.choose(0, 0.2, 0.75)
    again = exemplars.choose(0, 0.2 + 0.004, 0.75)
    assert again is first
