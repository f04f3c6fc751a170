"""Who a face is, as far as its pixels tell: an appearance signature per track, so a face that
comes back after a cut (or after leaving the frame) keeps its earlier track id.

No face-recognition weights ship in a package (MODELS.md), so the signature is built from what
the landmarks give: the face is aligned on its eye corners into a small fixed crop (forehead,
hair line, eyes, nose, mouth, chin), and the crop is described by a coarse grid of colours
(skin, hair, beard, glasses) and a tiny greyscale thumbnail of its structure. Lighting is taken
out by normalising brightness and contrast. It tells two people apart in a cut, not a crowd.
"""

from __future__ import annotations

import cv2
import numpy as np

from polydub.engines.face.landmarks import LEFT_EYE_OUTER, RIGHT_EYE_OUTER, turn_ratio

# The aligned crop: eye corners 32 px apart at height 24, so the crop reaches ~0.75 eye
# distances above the eyes (brows, hair line) and ~1.3 below (the chin).
_CROP_W, _CROP_H = 64, 66
_LEFT_EYE_AT, _RIGHT_EYE_AT = (16.0, 24.0), (48.0, 24.0)
_COLOUR_GRID = (4, 4)  # rows, columns of mean colours
_THUMB = (12, 12)  # greyscale thumbnail, rows, columns
# Typical distances between two people's faces, per part of the signature (median over the real
# bench clips), so each part counts alike.
_COLOUR_SPREAD, _SHADE_SPREAD, _GREY_SPREAD = 100.0, 60.0, 16.0
# Signatures further apart than this are different people. Measured on the real bench clips
# (face_footage.py, every 5th frame): one person's frames lie 0.03-0.45 from their mean
# (p5-p95; up to 0.77 while turning), three different people 0.81-1.22 apart.
SAME_FACE_DISTANCE = 0.6
# A track that keeps its place but whose face changes by more than this was cut to another
# person at the same spot: it ends there (stricter than linking, so lighting does not split).
CUT_FACE_DISTANCE = 0.85
# Two whole tracks whose mean signatures are this close are one person (means are steadier than
# a single frame: one person's tracks measured 0.09-0.33 apart, different people 0.86-1.22).
SAME_TRACK_DISTANCE = 0.6
# A track's mean is trusted for merging after this many described frames.
MIN_MERGE_FRAMES = 3
# Beyond this turn (0 frontal, 1 profile) the eye-corner alignment no longer holds and one
# person's signature wanders as far as another's: such frames are not described.
MAX_SIGNATURE_TURN = 0.45


def aligned_face(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The face warped so its eye corners sit at fixed places in a small crop (RGB, uint8)."""
    src = np.float32([points[LEFT_EYE_OUTER], points[RIGHT_EYE_OUTER]])
    dst = np.float32([_LEFT_EYE_AT, _RIGHT_EYE_AT])
    # A similarity (rotation, scale, shift) from two point pairs: a third point at right angles.
    perpendicular = lambda p: p[0] + np.float32([-(p[1] - p[0])[1], (p[1] - p[0])[0]])  # noqa: E731
    matrix = cv2.getAffineTransform(
        np.vstack([src, perpendicular(src)]), np.vstack([dst, perpendicular(dst)])
    )
    return cv2.warpAffine(
        rgb, matrix, (_CROP_W, _CROP_H), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


def appearance_signature(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A vector describing the face's look; the distance between two (`signature_distance`)
    is about 0.1-0.3 for one person across a clip and 0.8 or more between people."""
    crop = aligned_face(rgb, points)
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
    lightness = lab[..., 0]
    rows, cols = _COLOUR_GRID
    # Hue of skin, hair and beard (Lab's a, b around their neutral 128) tells people apart best.
    colour = cv2.resize(lab[..., 1:], (cols, rows), interpolation=cv2.INTER_AREA) - 128.0
    # Light and shade relative to the face's own brightness and contrast (the same face under
    # other light): a coarse grid, and a finer thumbnail of the structure (brows, glasses).
    relative = (lightness - lightness.mean()) / (lightness.std() + 1e-3)
    shade = cv2.resize(relative, (cols, rows), interpolation=cv2.INTER_AREA) * 20.0
    grey = cv2.resize(relative, _THUMB[::-1], interpolation=cv2.INTER_AREA)
    parts = [
        (colour.reshape(-1), _COLOUR_SPREAD, 2.0),
        (shade.reshape(-1), _SHADE_SPREAD, 1.0),
        (grey.reshape(-1), _GREY_SPREAD, 1.0),
    ]
    weights = sum(w for _, _, w in parts)
    return np.concatenate(
        [part / spread * np.sqrt(w / weights) for part, spread, w in parts]
    ).astype(np.float32)


def frontal_signature(rgb: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The face's signature, or None when it is turned too far to be described."""
    if abs(turn_ratio(points)) > MAX_SIGNATURE_TURN:
        return None
    return appearance_signature(rgb, points)


def signature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """How unalike two signatures are (0 the same)."""
    return float(np.linalg.norm(a - b))


class IdentityMemory:
    """Signatures of the tracks seen so far: a running mean per track id, and which ids are
    present now (a present face cannot also be the one that came back)."""

    def __init__(self, max_kept: int = 64) -> None:
        self._mean: dict[int, np.ndarray] = {}
        self._count: dict[int, int] = {}
        self._order: list[int] = []
        self.max_kept = max_kept

    def observe(self, track_id: int, signature: np.ndarray) -> None:
        """Add one frame's signature of a track to its running mean."""
        n = self._count.get(track_id, 0)
        if n == 0:
            self._mean[track_id] = signature.copy()
            self._order.append(track_id)
            if len(self._order) > self.max_kept:
                oldest = self._order.pop(0)
                self._mean.pop(oldest, None)
                self._count.pop(oldest, None)
        else:
            self._mean[track_id] = self._mean[track_id] * (n / (n + 1)) + signature / (n + 1)
        self._count[track_id] = n + 1

    def seen(self, track_id: int) -> int:
        """Frames of the track observed so far."""
        return self._count.get(track_id, 0)

    def distance(self, track_id: int, signature: np.ndarray) -> float | None:
        """How far a signature is from a track's mean (None: the track was never seen)."""
        mean = self._mean.get(track_id)
        return None if mean is None else signature_distance(mean, signature)

    def returning(self, signatures: list[np.ndarray | None], present: set[int]) -> list[int | None]:
        """For each new face's signature, the earlier track it is (None: someone new, or no
        signature to tell).

        Tracks in `present` are on screen now and cannot be a new face; two new faces never
        take the same earlier track (nearest pairs first).
        """
        pairs = []
        for k, signature in enumerate(signatures):
            if signature is None:
                continue
            for track_id, mean in self._mean.items():
                if track_id in present:
                    continue
                distance = signature_distance(mean, signature)
                if distance < SAME_FACE_DISTANCE:
                    pairs.append((distance, k, track_id))
        out: list[int | None] = [None] * len(signatures)
        taken: set[int] = set()
        for _, k, track_id in sorted(pairs):
            if out[k] is None and track_id not in taken:
                out[k] = track_id
                taken.add(track_id)
        return out

    def means(self, min_frames: int = MIN_MERGE_FRAMES) -> dict[int, np.ndarray]:
        """The mean signature of every track described on at least `min_frames` frames."""
        return {t: m for t, m in self._mean.items() if self._count.get(t, 0) >= min_frames}


def merged_identities(means: dict[int, np.ndarray], frames: dict[int, set[int]]) -> dict[int, int]:
    """Tracks that are one person, found after the fact from whole-track means: track id ->
    the identity it joins (the group's earliest id). Closest pairs merge first, and never two
    groups that were on screen in the same frame."""
    group = {t: t for t in frames}
    members = {t: {t} for t in frames}
    seen = {t: set(f) for t, f in frames.items()}
    pairs = sorted(
        (signature_distance(means[a], means[b]), a, b)
        for a in means
        for b in means
        if a < b and a in frames and b in frames
    )
    for distance, a, b in pairs:
        if distance >= SAME_TRACK_DISTANCE:
            break
        ga, gb = group[a], group[b]
        if ga == gb or seen[ga] & seen[gb]:
            continue
        keep, gone = min(ga, gb), max(ga, gb)
        for t in members.pop(gone):
            group[t] = keep
            members[keep].add(t)
        seen[keep] |= seen.pop(gone)
    return {t: g for t, g in group.items() if t != g}
