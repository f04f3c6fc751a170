"""The dub pipeline with a face on screen: the lipsync stage redraws the speaker's mouth to
the dub and reports the sync scores; --audio-only leaves the frames alone."""

from __future__ import annotations

import pytest

from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.sync_score import score_video
from polydub.samples import make_speaking_face_clip

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def speaking_face(tmp_path_factory):
    path = tmp_path_factory.mktemp("face") / "face.mp4"
    make_speaking_face_clip(path, 8.0)
    return path


def test_dub_lip_syncs_the_speaker(engines, speaking_face, tmp_path):
    options = DubOptions(targets=("es",), mode="speed")
    (result,) = dub(
        speaking_face, options, engines, work_root=tmp_path / "work", output_stem=tmp_path / "face"
    )
    report = result.report["lipsync"]
    sync = report["sync"]
    print({k: (round(v["correlation"], 3), v["lag_frames"]) for k, v in sync.items()})
    assert report["renderer"] == "warp"
    # Every frame written is edited: 8 s at 25 fps, more where the plan slows the video.
    output_frames = round(result.report["timing"]["output_duration"] * 25)
    assert report["edited_frames"] == report["frames"] == output_frames >= 200
    assert report["phoneme_driven_lines"] >= 1 and report["audio_driven_lines"] == 0
    assert sync["lip_synced"]["correlation"] >= 0.8 * sync["ceiling"]["correlation"]
    assert abs(sync["lip_synced"]["lag_frames"]) <= 1
    assert sync["floor"]["correlation"] < 0.5
    assert 0.9 <= report["seam_ratio_p5"] and report["seam_ratio_p95"] <= 1.1
    # The delivered video, slowed where the plan says, keeps the mouth on the dub.
    assert report["on_output_timeline"] == bool(result.report["plan"]["stretches"])
    delivered = score_video(result.video)
    print("delivered", round(delivered.correlation, 3), delivered.lag_frames)
    assert delivered.correlation >= 0.8 * sync["ceiling"]["correlation"]
    assert abs(delivered.lag_frames) <= 1


def test_audio_only_dub_skips_lipsync(engines, speaking_face, tmp_path):
    options = DubOptions(targets=("es",), audio_only=True)
    (result,) = dub(
        speaking_face, options, engines, work_root=tmp_path / "work", output_stem=tmp_path / "face"
    )
    assert result.report["lipsync"] is None
