"""FaceMesh tracking and the sync score on generated talking faces, no face, and two faces."""

from __future__ import annotations

import numpy as np
import pytest
from face_clips import FPS, HEIGHT, WIDTH

from polydub.engines.face.landmarks import mouth_opening
from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.engines.face.tracking import FaceTracker
from polydub.face_samples import FacePlacement, TalkingFaces
from polydub.media.frames import read_frames
from polydub.pipeline.sync_score import mouth_openings_by_face, score_video

pytestmark = pytest.mark.integration


def test_mouth_opening_follows_the_animated_mouth(talking_face, speaker_curve):
    by_face, fps, frames = mouth_openings_by_face(talking_face)
    assert fps == FPS and frames == len(speaker_curve)
    assert len(by_face) == 1
    (opening,) = by_face.values()
    assert not np.isnan(opening).any()
    assert np.corrcoef(opening, speaker_curve)[0, 1] > 0.9


def test_smoothing_keeps_the_face_steady_without_lag(talking_face, speaker_curve):
    raw, smooth = [], []
    with MediaPipeFaceLandmarker() as landmarker:
        tracker = FaceTracker(landmarker)
        for frame in read_frames(talking_face):
            (face,) = tracker.update(frame.rgb, frame.time)
            raw.append(face.raw_points[[1, 33, 263, 152]])
            smooth.append(face.points[[1, 33, 263, 152]])
    # Nose and eye corners barely move in this clip: smoothing should calm their jitter.
    jitter = lambda p: np.abs(np.diff(np.array(p)[:, :3], axis=0)).mean()  # noqa: E731
    assert jitter(smooth) < jitter(raw)
    # The chin moves with the jaw: its smoothed track peaks with the raw one (no frame of lag).
    chin_raw, chin_smooth = np.array(raw)[:, 3, 1], np.array(smooth)[:, 3, 1]
    lags = range(-3, 4)
    best = max(lags, key=lambda k: np.corrcoef(np.roll(chin_raw, k), chin_smooth)[0, 1])
    assert best == 0


def test_small_faces_are_found_by_detection_and_crop():
    # A face about 100 px wide in a 1280x720 frame: too small for FaceMesh's own detector.
    faces = TalkingFaces(1280, 720, [FacePlacement(900, 420, 0.75)])
    frame = faces.frame([0.8])
    with MediaPipeFaceLandmarker() as landmarker:
        found = []
        for _ in range(6):  # full-range detection runs every few frames while nothing is found
            found = landmarker.landmarks(frame)
            if found:
                break
    assert len(found) == 1
    points = found[0]
    assert 900 < points[:, 0].mean() < 900 + 260 * 0.75
    assert mouth_opening(points) > 0.15


def test_no_face_means_no_tracks_and_no_score(no_face):
    by_face, _, frames = mouth_openings_by_face(no_face)
    assert by_face == {} and frames > 0
    score = score_video(no_face)
    assert np.isnan(score.correlation) and score.face_frames == 0


def test_two_faces_are_tracked_apart_and_the_speaker_is_scored(two_faces, speaker_curve):
    by_face, _, frames = mouth_openings_by_face(two_faces)
    steady = {k: v for k, v in by_face.items() if (~np.isnan(v)).sum() > frames * 0.9}
    assert len(steady) == 2
    corr = sorted(np.corrcoef(np.nan_to_num(v), speaker_curve)[0, 1] for v in steady.values())
    assert corr[-1] > 0.85 and corr[0] < 0.5
    score = score_video(two_faces)
    assert score.correlation > 0.85 and score.lag_frames == 0


def test_sync_score_ceiling_and_floor(talking_face, dub_wav):
    ceiling = score_video(talking_face)
    floor = score_video(talking_face, dub_wav)
    print(f"ceiling {ceiling}\nfloor {floor}")
    assert ceiling.correlation > 0.9 and ceiling.lag_frames == 0
    assert floor.correlation < 0.5


def test_frames_are_the_generated_size(talking_face):
    first = next(iter(read_frames(talking_face)))
    assert first.rgb.shape == (HEIGHT, WIDTH, 3)


def test_detecting_every_few_frames_finds_the_same_faces(two_faces):
    """While faces are followed, detection on every 5th frame only (the scan's setting) finds
    the same faces with the same landmarks as detection on every frame."""

    def scan(every: int) -> list[list[np.ndarray]]:
        with MediaPipeFaceLandmarker(detect_every=every) as landmarker:
            return [
                sorted(landmarker.landmarks(frame.rgb), key=lambda p: float(p[:, 0].mean()))
                for frame in read_frames(two_faces)
            ]

    each, sparse = scan(1), scan(5)
    assert [len(faces) for faces in each] == [len(faces) for faces in sparse]
    assert max(len(faces) for faces in each) == 2
    for a, b in zip(each, sparse, strict=True):
        for p, q in zip(a, b, strict=True):
            assert np.abs(p - q).max() < 0.5
