"""Per-line lip-sync bookkeeping: frames owned by lines, verdicts, warnings, summaries."""

from __future__ import annotations

import numpy as np

from polydub.engines.face.landmarks import turn_ratio
from polydub.pipeline.lipsync_lines import (
    KEPT_ORIGINAL,
    NOT_VISIBLE,
    REDRAWN,
    LineOutcome,
    LineSpan,
    choose_line_faces,
    frame_lines,
    judge_line,
    link_speakers_to_faces,
    lipsync_summary,
    lipsync_warnings,
    nothing_lip_synced,
    per_face_summary,
)

FPS = 10.0


def test_frames_between_lines_go_to_the_nearer_line():
    owner = frame_lines([LineSpan(0, 0.0, 1.0), LineSpan(1, 2.0, 3.0)], FPS, 40)
    assert list(owner[:10]) == [0] * 10  # inside the first line
    assert owner[12] == 0 and owner[18] == 1  # the gap is split
    assert set(owner[20:]) == {1}  # inside the second, and after it
    assert set(frame_lines([], FPS, 5)) == {-1}


def _judge(after: np.ndarray, edited: np.ndarray) -> LineOutcome:
    t = np.arange(60) / FPS
    dub = (np.sin(2 * np.pi * 0.7 * t) > 0).astype(float) + 0.1 * np.sin(5 * t)
    before = np.cos(1.3 * t)  # the source mouth: unrelated to the dub
    return judge_line(
        LineSpan(3, 0.0, 6.0),
        np.ones(60, bool),
        fps=FPS,
        edited=edited,
        faces=np.where(edited, 7, -1),
        before=before,
        after=after,
        dub=dub,
    ), dub


def test_a_redraw_that_follows_the_dub_is_kept():
    edited = np.ones(60, bool)
    outcome, dub = _judge(np.zeros(60), edited)
    outcome, _ = _judge(dub.copy(), edited)
    assert outcome.status == REDRAWN and outcome.face == 7 and outcome.lip_synced > 0.9


def test_a_redraw_worse_than_the_untouched_mouth_is_rejected():
    edited = np.ones(60, bool)
    _, dub = _judge(np.zeros(60), edited)
    outcome, _ = _judge(-dub, edited)
    assert outcome.status == KEPT_ORIGINAL and outcome.lip_synced < outcome.floor
    assert "less well" in outcome.reason


def test_an_unmeasurable_redraw_is_rejected_and_a_hidden_speaker_is_reported():
    lost, _ = _judge(np.full(60, np.nan), np.ones(60, bool))
    assert lost.status == KEPT_ORIGINAL and lost.lip_synced is None
    hidden, _ = _judge(np.zeros(60), np.zeros(60, bool))
    assert hidden.status == NOT_VISIBLE and hidden.visible_frames == 0


def test_warnings_name_no_face_hidden_speech_and_untouched_lines():
    assert (
        "no face found" in lipsync_warnings(faces_found=0, speakers_found=0, outcomes=[], fps=25)[0]
    )
    assert "none moves" in lipsync_warnings(faces_found=2, speakers_found=0, outcomes=[], fps=25)[0]
    outcomes = [
        LineOutcome(0, 0, 2, 50, 50, 50, 50, 1, REDRAWN, ""),
        LineOutcome(1, 2, 4, 50, 50, 0, 0, None, NOT_VISIBLE, ""),
        LineOutcome(2, 4, 6, 50, 50, 50, 50, 1, KEPT_ORIGINAL, ""),
    ]
    warnings = lipsync_warnings(faces_found=1, speakers_found=1, outcomes=outcomes, fps=25)
    assert warnings[0].startswith(
        "lip-sync: the speaker's face is not visible (or turned away) for 2.0 s"
    )
    assert "(lines 1)" in warnings[0]
    assert "1 of 3 lines were left untouched" in warnings[1] and "(lines 2)" in warnings[1]


def test_summary_and_lip_sync_job_verdict():
    none = {"video": None, "edited_frames": 0, "faces_found": 0}
    assert "no face found" in lipsync_summary(none)
    assert "no face found" in nothing_lip_synced(none)
    assert "moves with" in nothing_lip_synced({**none, "faces_found": 2})
    done = {
        "video": "x.mp4",
        "mode": "speed",
        "renderer": "warp",
        "edited_frames": 90,
        "frames": 100,
        "lines": [{"status": REDRAWN}, {"status": KEPT_ORIGINAL}],
        "sync": {"lip_synced": {"correlation": 0.5}, "floor": {"correlation": 0.1}},
    }
    assert nothing_lip_synced(done) is None
    text = lipsync_summary(done)
    assert (
        "90/100 frames" in text
        and "1 redrawn, 1 kept original" in text
        and "lip_synced 0.50" in text
    )


def test_a_face_turned_away_is_reported_and_measured():
    turned = lipsync_warnings(
        faces_found=1, speakers_found=1, outcomes=[], fps=25, turned_frames=50
    )
    assert turned == [
        "lip-sync: the speaker's face is turned too far to redraw for 2.0 s; "
        "those frames are unchanged"
    ]
    points = np.zeros((478, 2))
    points[[234, 454]] = [[0.0, 0.0], [100.0, 0.0]]  # the cheek edges
    points[1] = [50.0, 0.0]  # the nose tip between them: frontal
    assert abs(turn_ratio(points)) < 0.01
    points[1] = [95.0, 0.0]  # next to one edge: profile
    assert abs(turn_ratio(points)) > 0.8


def _interview(seed: int = 0):
    """Two faces, six 2 s lines at 25 fps: speaker S1 (face 0) says lines 0, 2, 4; S2 (face 1)
    says 1, 3, 5. Line 4 cuts to face 1 listening (face 0 off screen); on line 5 both mouths
    follow the speech about as well, face 0 (the listener) a little better. Returns the
    openings, the source envelope, the frame owner, the speakers and the true faces."""
    from polydub.face_samples import syllable_curve

    fps, seconds = 25.0, 12.0
    rng = np.random.default_rng(seed)
    envelope = syllable_curve(seconds, fps, seed=3)
    n = len(envelope)
    own = [syllable_curve(seconds, fps, seed=s) * 0.8 for s in (21, 22)]  # mouths moving alone
    openings = {0: own[0].copy(), 1: own[1].copy()}
    lines = [LineSpan(k, 2.0 * k, 2.0 * k + 2.0) for k in range(6)]
    owner = frame_lines(lines, fps, n)
    truth = [0, 1, 0, 1, None, 1]
    for k, face in enumerate(truth):
        mine = owner == k
        if face is not None:
            openings[face][mine] = envelope[mine] + rng.normal(0, 0.05, mine.sum())
    line4, line5 = owner == 4, owner == 5
    openings[0][line4] = np.nan  # the speaker (face 0) is off screen; face 1 listens
    openings[1][line4] = own[1][line4]
    openings[0][line5] = envelope[line5] + rng.normal(0, 0.1, line5.sum())
    openings[1][line5] = envelope[line5] + rng.normal(0, 0.16, line5.sum())
    speakers = ["S1", "S2", "S1", "S2", "S1", "S2"]
    return openings, envelope, owner, fps, speakers, truth


def test_the_diarized_speaker_picks_the_face_of_ambiguous_lines_and_spares_the_listener():
    openings, envelope, owner, fps, speakers, truth = _interview()
    alone = choose_line_faces(openings, envelope, owner, fps)
    linked = choose_line_faces(openings, envelope, owner, fps, speakers)
    right = lambda chosen: sum(chosen[k] == truth[k] for k in range(6))  # noqa: E731
    print(f"per-line face choice: {right(alone)}/6 without speakers, {right(linked)}/6 with")
    # Without the speakers the listener is redrawn: alone on line 4, the better mover on 5.
    assert alone[4] == 1 and alone[5] == 0
    assert linked == dict(enumerate(truth))


def test_two_speakers_share_a_face_only_on_evidence():
    # S2's single clear line on face 0 (already S1's) does not link it; two clear lines do.
    assert link_speakers_to_faces({0: 0, 1: 0, 2: 0}, ["S1", "S1", "S2"]) == {"S1": 0}
    shared = link_speakers_to_faces({0: 0, 1: 0, 2: 0, 3: 0}, ["S1", "S1", "S2", "S2"])
    assert shared == {"S1": 0, "S2": 0}
    assert link_speakers_to_faces({0: 0, 1: 1}, ["S1", None]) == {"S1": 0}


def test_faces_report_the_speakers_they_spoke_for():
    outcomes = [
        LineOutcome(0, 0, 2, 50, 50, 50, 50, 1, REDRAWN, "", speaker="S1"),
        LineOutcome(1, 2, 4, 50, 50, 50, 50, 2, REDRAWN, "", speaker="S2"),
        LineOutcome(2, 4, 6, 50, 50, 50, 50, 1, KEPT_ORIGINAL, "", speaker="S1"),
    ]
    faces = {f["face"]: f for f in per_face_summary(outcomes)}
    assert faces[1]["speakers"] == ["S1"] and faces[2]["speakers"] == ["S2"]
    assert faces[1][REDRAWN] == [0] and faces[1][KEPT_ORIGINAL] == [2]
