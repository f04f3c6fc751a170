"""Lip-sync on generated talking faces, in both modes: the mouth follows the new speech, nothing
outside the mouth region changes, no seam, no face left alone, only the speaker edited."""

from __future__ import annotations

import numpy as np
import pytest
from face_clips import FPS

from polydub.engines.face.landmarks import mouth_opening
from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.engines.lipsync.base import MouthTarget
from polydub.engines.lipsync.seams import seam_energy_ratio
from polydub.engines.lipsync.visemes import track_from_audio
from polydub.engines.lipsync.warp import MouthWarper
from polydub.face_samples import TalkingFaces, one_face_placement
from polydub.media.audio import decode_audio, read_wav
from polydub.media.frames import mux_audio, read_frames
from polydub.pipeline.lipsync import lipsync_video
from polydub.pipeline.sync_score import mouth_openings_by_face, score_video

pytestmark = pytest.mark.integration


def _lipsync(video, dub_wav, out_dir, mode="speed"):
    speech = read_wav(dub_wav)
    drive = track_from_audio(speech, FPS, 200)
    silent = out_dir / "silent.mp4"
    info = lipsync_video(video, drive, silent, mode=mode, source_speech=decode_audio(video, 16000))
    out = mux_audio(silent if info.wrote_video else video, dub_wav, out_dir / "synced.mp4")
    return info, out


@pytest.fixture(scope="module", params=["speed", "precision"])
def synced(request, talking_face, dub_wav, tmp_path_factory):
    info, out = _lipsync(talking_face, dub_wav, tmp_path_factory.mktemp("synced"), request.param)
    assert info.renderer == {"speed": "warp", "precision": "exemplar"}[request.param]
    return info, out


def test_lip_synced_mouth_follows_the_new_speech(talking_face, dub_wav, synced):
    info, out = synced
    assert info.edited_frames == info.frames == 125
    ceiling = score_video(talking_face).correlation
    floor = score_video(talking_face, dub_wav).correlation
    score = score_video(out)
    seams = np.array(info.seam_ratios)
    print(
        f"{info.mode}: ceiling {ceiling:.3f} floor {floor:.3f} "
        f"lip-synced {score.correlation:.3f} lag {score.lag_frames} "
        f"render {info.render_fps:.1f} fps; seam energy ratio median "
        f"{np.median(seams):.3f} range {seams.min():.3f}..{seams.max():.3f}"
    )
    assert score.correlation >= 0.8 * ceiling
    assert abs(score.lag_frames) <= 1
    assert score.correlation > floor + 0.3
    assert len(seams) == info.edited_frames
    assert np.all((seams >= 0.9) & (seams <= 1.1))


@pytest.mark.parametrize("source_opening", [0.0, 0.5])
def test_warp_changes_only_the_mouth_region_without_a_seam(source_opening):
    faces = TalkingFaces(960, 540, [one_face_placement(960, 540, zoom=1.6)])
    frame = faces.frame([source_opening])
    with MediaPipeFaceLandmarker() as landmarker:
        points = landmarker.landmarks(frame)[0]
    rest = mouth_opening(points)
    warper = MouthWarper()
    for target in (0.1, 0.2, 0.3):
        edit = warper.render(frame, points, MouthTarget(target))
        outside = edit.frame_mask() == 0
        assert np.array_equal(edit.rgb[outside], frame[outside])
        x0, y0, x1, y1 = edit.box
        assert outside[:y0].all() and outside[y1:].all()
        ratio = seam_energy_ratio(frame, edit.rgb, edit.frame_mask())
        assert ratio == seam_energy_ratio(frame, edit.rgb, edit.mask, edit.box)
        print(f"rest {rest:.3f} -> {target}: seam energy ratio {ratio:.3f}")
        assert 0.9 <= ratio <= 1.1
        with MediaPipeFaceLandmarker() as landmarker:
            measured = mouth_opening(landmarker.landmarks(edit.rgb)[0])
        assert measured == pytest.approx(target, abs=0.04)


def test_video_without_a_face_is_left_untouched(no_face, dub_wav, tmp_path):
    info, out = _lipsync(no_face, dub_wav, tmp_path)
    assert info.edited_frames == 0 and info.speakers == [] and not info.wrote_video
    # Re-encoded at high quality, the picture is the same (up to the codec's rounding).
    for a, b in zip(read_frames(no_face), read_frames(out), strict=True):
        assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean() < 1.0


def test_with_two_faces_only_the_speaker_is_edited(two_faces, dub_wav, dub_curve, tmp_path):
    before, _, _ = mouth_openings_by_face(two_faces)
    info, out = _lipsync(two_faces, dub_wav, tmp_path)
    assert len(info.speakers) == 1 and info.edited_frames == info.frames
    after, _, _ = mouth_openings_by_face(out)
    dub_envelope_like = dub_curve

    def by_side(series):
        return {("left" if k == min(series) else "right"): v for k, v in series.items()}

    before, after = by_side(before), by_side(after)
    # The left face (the speaker) now follows the dub; the right one moves as it did.
    assert np.corrcoef(np.nan_to_num(after["left"]), dub_envelope_like)[0, 1] > 0.7
    assert np.corrcoef(np.nan_to_num(after["right"]), np.nan_to_num(before["right"]))[0, 1] > 0.95
    assert score_video(out).correlation > 0.7


def test_frames_outside_the_edit_range_are_left_alone(talking_face, dub_wav, tmp_path):
    drive = track_from_audio(read_wav(dub_wav), FPS, 200)
    info = lipsync_video(talking_face, drive, tmp_path / "part.mp4", edit_range=(1.0, 3.0))
    assert info.frames == 125 and info.edited_frames == 50
    for a, b in zip(read_frames(talking_face), read_frames(tmp_path / "part.mp4"), strict=True):
        if not 1.0 <= a.time < 3.0:
            assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean() < 1.0
