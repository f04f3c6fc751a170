"""Faces keep their identity across cuts: a face that comes back after a shot of someone else
takes its earlier track id again, a cut to someone else at the same place starts a new one, and
two faces on screen together are never one identity. Generated A-B-A edits of the talking
astronaut (B: the astronaut mirrored, with other skin and hair colours), and real footage."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from face_clips import FPS, HEIGHT, WIDTH

from polydub.config import Settings
from polydub.face_footage import CLIPS, footage_clip
from polydub.face_samples import (
    FacePlacement,
    TalkingFaces,
    one_face_placement,
    syllable_curve,
    write_video,
)
from polydub.media.ffmpeg import run_ffmpeg
from polydub.pipeline.sync_score import mouth_openings_by_face

pytestmark = pytest.mark.integration

SHOT = int(1.2 * FPS)  # frames per shot


def other_person(rgb: np.ndarray) -> np.ndarray:
    """Someone else for the signature: mirrored, with skin and hair of other hues (a redder,
    more saturated face), still a face the detector finds."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.int32)
    hsv[..., 0] = (hsv[..., 0] - 20) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * 1.3, 0, 255)
    return np.ascontiguousarray(cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[:, ::-1])


def identities_per_shot(video: Path, shots: int, shot: int) -> list[set[int]]:
    """The track ids seen on most frames of each shot."""
    by_face, _, _ = mouth_openings_by_face(video)
    out = []
    for k in range(shots):
        window = slice(k * shot, (k + 1) * shot)
        out.append({t for t, s in by_face.items() if (~np.isnan(s[window])).sum() >= 0.5 * shot})
    return out


def test_a_face_keeps_its_identity_across_a_cut_to_someone_else_at_the_same_place(tmp_path):
    faces = TalkingFaces(WIDTH, HEIGHT, [one_face_placement(WIDTH, HEIGHT, zoom=1.6)])
    curve = syllable_curve(3 * SHOT / FPS, FPS, seed=3)
    frames = [faces.frame([v]) for v in curve]
    # A, then B in the same place (a hard cut), then A again.
    edited = frames[:SHOT] + [other_person(f) for f in frames[SHOT : 2 * SHOT]] + frames[2 * SHOT :]
    video = write_video(tmp_path / "aba.mp4", iter(edited), FPS, None)
    a1, b, a2 = identities_per_shot(video, 3, SHOT)
    assert len(a1) == len(b) == len(a2) == 1, (a1, b, a2)
    assert a1 == a2 and a1 != b


def test_two_faces_on_screen_together_stay_two_identities(tmp_path):
    # A alone, then A and B side by side, then B alone: B is never A, and keeps its own id.
    left, right = FacePlacement(20, 70, 1.4), FacePlacement(WIDTH - 20 - 364, 70, 1.4)
    alone = TalkingFaces(WIDTH, HEIGHT, [left])
    both = TalkingFaces(WIDTH, HEIGHT, [left, right])
    curve = syllable_curve(3 * SHOT / FPS, FPS, seed=5)

    def pair(v: float) -> np.ndarray:
        rgb = both.frame([v, v])
        rgb[:, WIDTH // 2 :] = other_person(rgb[:, : WIDTH // 2])  # B mirrors A's half
        return rgb

    frames = [alone.frame([v]) for v in curve[:SHOT]]
    frames += [pair(v) for v in curve[SHOT : 2 * SHOT]]
    frames += [other_person(alone.frame([v])) for v in curve[2 * SHOT :]]
    video = write_video(tmp_path / "pair.mp4", iter(frames), FPS, None)
    first, together, last = identities_per_shot(video, 3, SHOT)
    assert len(first) == 1 and len(together) == 2 and len(last) == 1, (first, together, last)
    assert first < together  # A kept its id when B came in
    assert last == together - first  # B alone is the B seen beside A


# Real people cut together: (bench clip, start s) per shot, and who is on it.
REAL_SHOTS = (
    ("webcam-frontal", 0.0, "A"),
    ("turned-face", 0.0, "B"),
    ("webcam-frontal", 5.0, "A"),
    ("small-face", 0.0, "C"),
    ("turned-face", 6.0, "B"),
    ("small-face", 4.0, "C"),
)
REAL_SHOT_S = 2.0


def real_cuts(out: Path) -> Path:
    """The shots above, each scaled into one 480x360 frame, cut hard one after another."""
    cache = Settings().cache_dir / "face-footage"
    clips = {c.name: c for c in CLIPS}
    inputs, graph = [], []
    for k, (name, start, _) in enumerate(REAL_SHOTS):
        inputs += ["-ss", f"{start}", "-t", f"{REAL_SHOT_S}"]
        inputs += ["-i", str(footage_clip(clips[name], cache))]
        graph.append(
            f"[{k}:v]fps={FPS:g},scale=480:360:force_original_aspect_ratio=decrease,"
            f"pad=480:360:(ow-iw)/2:(oh-ih)/2:color=0x606060,setsar=1[s{k}]"
        )
    joined = "".join(f"[s{k}]" for k in range(len(REAL_SHOTS)))
    graph.append(f"{joined}concat=n={len(REAL_SHOTS)}:v=1[v]")
    run_ffmpeg(
        [*inputs, "-filter_complex", ";".join(graph), "-map", "[v]", "-an"]
        + ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", str(out)]
    )
    return out


def test_real_people_keep_their_identity_across_cuts(tmp_path):
    video = real_cuts(tmp_path / "cuts.mp4")
    by_face, _, frames = mouth_openings_by_face(video)
    shot = int(REAL_SHOT_S * FPS)
    # Each frame's identity (the one face on it; -1 none), and each person's identity: the
    # one most of their frames carry.
    ids = np.full(frames, -1)
    for track, series in by_face.items():
        ids[~np.isnan(series)] = track
    person = np.repeat([who for _, _, who in REAL_SHOTS], shot)[:frames]
    seen = ids >= 0
    identity = {}
    for who in sorted(set(person)):
        mine = ids[(person == who) & seen]
        identity[who] = int(np.bincount(mine).argmax())
    right = seen & (ids == np.array([identity[p] for p in person]))
    per_shot = [
        f"{who}:{sorted(set(ids[k * shot : (k + 1) * shot].tolist()))}"
        for k, (_, _, who) in enumerate(REAL_SHOTS)
    ]
    print(
        f"identity accuracy {right.sum()}/{seen.sum()} frames with a face "
        f"({right.sum() / seen.sum():.1%}); tracks {len(by_face)}; per shot {per_shot}"
    )
    assert len(set(identity.values())) == 3  # three people, three identities
    # Measured 293/294 (Dec 2026): B's first frame after the cut is turned too far to describe
    # and stays on A's track for that frame.
    assert right.sum() >= 0.95 * seen.sum()
