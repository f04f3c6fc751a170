"""Per-line speaker faces with diarization, on a generated interview: two people side by side
take turns; on the last line both mouths move with the speech (the listener a little more
clearly), so only the diarized speaker's earlier lines tell who speaks it."""

from __future__ import annotations

import numpy as np
import pytest
from face_clips import FPS, HEIGHT, WIDTH

from polydub.engines.lipsync.visemes import track_from_audio
from polydub.face_samples import (
    FacePlacement,
    TalkingFaces,
    speech_like_audio,
    syllable_curve,
    write_video,
)
from polydub.media.audio import decode_audio
from polydub.pipeline.lipsync import lipsync_video
from polydub.pipeline.lipsync_lines import LineSpan
from polydub.pipeline.sync_score import mouth_openings_by_face

pytestmark = pytest.mark.integration

LINE_S = 2.0
SPEAKERS = ("S1", "S2", "S1", "S2")  # S1 is the left face, S2 the right one
TRUE_FACE = ("left", "right", "left", "right")


@pytest.fixture(scope="module")
def interview(tmp_path_factory):
    seconds = LINE_S * len(SPEAKERS)
    speech = syllable_curve(seconds, FPS, seed=3)
    alone = [syllable_curve(seconds, FPS, seed=s) * 0.6 for s in (41, 42)]  # listening mouths
    n, per_line = len(speech), int(LINE_S * FPS)
    left, right = alone[0].copy(), alone[1].copy()
    for k, face in enumerate(TRUE_FACE):
        line = slice(k * per_line, (k + 1) * per_line)
        (left if face == "left" else right)[line] = speech[line]
    # The last line: the listener (left) mouths along exactly, the speaker a little less.
    last = slice(3 * per_line, n)
    rng = np.random.default_rng(7)
    left[last] = speech[last]
    right[last] = np.clip(speech[last] * 0.8 + rng.normal(0, 0.08, n - 3 * per_line), 0, 1)
    placements = [FacePlacement(20, 70, 1.4), FacePlacement(WIDTH - 20 - 364, 70, 1.4)]
    faces = TalkingFaces(WIDTH, HEIGHT, placements)
    frames = (faces.frame([a, b]) for a, b in zip(left, right, strict=True))
    out = tmp_path_factory.mktemp("interview")
    video = write_video(out / "interview.mp4", frames, FPS, speech_like_audio(speech, FPS))
    dub = speech_like_audio(syllable_curve(seconds, FPS, seed=17), FPS, seed=9)
    return video, dub, n, left


def _line_faces(interview, tmp_path, speakers):
    """Each line's redrawn face as "left" / "right", the run's info and the track sides."""
    video, dub, n, left = interview
    lines = [
        LineSpan(k, k * LINE_S, (k + 1) * LINE_S, speakers[k] if speakers else None)
        for k in range(len(SPEAKERS))
    ]
    info = lipsync_video(
        video,
        track_from_audio(dub, FPS, n + 1),
        tmp_path / "out.mp4",
        source_speech=decode_audio(video, 16000),
        dub_speech=dub,
        lines=lines,
    )
    # Which side each track is on: the left one's mouth follows the left curve.
    by_face, _, _ = mouth_openings_by_face(video)
    ordered = sorted(by_face, key=lambda t: -np.corrcoef(np.nan_to_num(by_face[t]), left)[0, 1])
    side = {ordered[0]: "left", ordered[1]: "right"}
    return [side.get(o.face) for o in info.lines], info, side


def test_the_diarized_speaker_decides_the_ambiguous_line(interview, tmp_path):
    without, _, _ = _line_faces(interview, tmp_path, None)
    chosen, info, side = _line_faces(interview, tmp_path, SPEAKERS)
    right = lambda faces: sum(f == t for f, t in zip(faces, TRUE_FACE, strict=True))  # noqa: E731
    print(f"per-line face: {right(without)}/4 without speakers {without}, {right(chosen)}/4 with")
    assert without[3] == "left"  # audio-visual agreement alone picks the listener
    assert chosen == list(TRUE_FACE)
    linked = {side[f["face"]]: f["speakers"] for f in info.faces}
    assert linked == {"left": ["S1"], "right": ["S2"]}
