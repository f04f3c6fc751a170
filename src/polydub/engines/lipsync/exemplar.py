"""Precision mode: the mouth is taken from the speaker's own frames, so the lips, teeth and the
inside of the mouth are real pixels, not stretched ones.

While the driver scans the video, every face's mouth region is cut out in a canonical frame
(a similarity transform on the eyes and nose, which do not move with speech) and indexed by its
shape: mouth opening and width. To draw a frame, the exemplar nearest to the target shape is
chosen (staying with the previous one while it fits, for temporal smoothness). The jaw and face
outline are moved to that shape by the speed-mode warp (an outline cannot be pasted without a
seam where it moved); the exemplar's lips, teeth and mouth inside are then aligned on the moved
lips, colour-matched and seamlessly cloned (Poisson blending) within a band of skin around them;
on that skin band the frame's own fine detail (stubble, pores) is put back over the clone.
When no exemplar is near the target, the warp goes to the target shape itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from polydub.engines.face.landmarks import (
    NOSE_BOTTOM,
    OUTER_LIPS,
    face_scale,
    mouth_opening,
    mouth_width,
)
from polydub.engines.lipsync.base import MouthEdit, MouthTarget
from polydub.engines.lipsync.warp import MouthWarper, lip_moves

# Landmarks that speech does not move: eye corners and the nose.
STABLE = (33, 133, 362, 263, 1, 2, 4, 5, 6, 168, 197, 195)
# The canonical mouth patch, in face scales around the midpoint of the outer eye corners.
PATCH_X = (-0.95, 0.95)
PATCH_Y = (0.45, 2.05)


@dataclass(frozen=True)
class ExemplarOptions:
    opening_step: float = 0.012  # index bin size, face scales
    width_bins: int = 3
    switch_cost: float = 0.01  # extra cost of changing exemplar from one frame to the next
    correct_above: float = 0.02  # residual opening left to the warp beyond this
    mouth_margin: float = 0.12  # skin cloned around the lips, face scales


@dataclass
class Exemplar:
    encoded: bytes  # the canonical RGB patch, as a high-quality JPEG: many faces, little memory
    canonical: np.ndarray  # its landmarks in patch coordinates (478, 2)
    opening: float
    width: float  # mouth width over face scale
    sharpness: float

    @property
    def patch(self) -> np.ndarray:
        data = np.frombuffer(self.encoded, np.uint8)
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


class _TrackIndex:
    def __init__(self, scale: float) -> None:
        self.scale = scale  # pixels per face scale in the canonical frame
        self.bins: dict[tuple[int, int], Exemplar] = {}
        self.previous: Exemplar | None = None

    @property
    def size(self) -> tuple[int, int]:
        w = int(round((PATCH_X[1] - PATCH_X[0]) * self.scale))
        h = int(round((PATCH_Y[1] - PATCH_Y[0]) * self.scale))
        return w, h


def canonical_transform(points: np.ndarray, scale: float) -> np.ndarray:
    """2x3 similarity from frame pixels to the canonical patch of a face."""
    eyes_mid = (points[33] + points[263]) / 2
    across = points[263] - points[33]
    angle = np.arctan2(across[1], across[0])
    s = scale / face_scale(points)
    c, si = np.cos(-angle) * s, np.sin(-angle) * s
    rot = np.array([[c, -si], [si, c]])
    offset = -rot @ eyes_mid + np.array([-PATCH_X[0] * scale, -PATCH_Y[0] * scale])
    coarse = np.hstack([rot, offset[:, None]])
    # Refine on all stable points (least squares, still a similarity).
    target = _apply(coarse, points[list(STABLE)])
    refined, _ = cv2.estimateAffinePartial2D(
        points[list(STABLE)].astype(np.float32), target.astype(np.float32), method=cv2.LMEDS
    )
    return refined if refined is not None else coarse


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ matrix[:, :2].T + matrix[:, 2]


class MouthExemplars:
    """The precision-mode renderer. Call `observe` for faces during the scan, then `render`."""

    name = "exemplar"

    def __init__(self, options: ExemplarOptions | None = None) -> None:
        self.options = options or ExemplarOptions()
        self._tracks: dict[int, _TrackIndex] = {}
        self._warper = MouthWarper()

    def observe(self, track_id: int, rgb: np.ndarray, points: np.ndarray) -> None:
        """Index this face's mouth (keeps the sharpest exemplar per shape bin)."""
        index = self._tracks.get(track_id)
        if index is None:
            index = self._tracks[track_id] = _TrackIndex(round(face_scale(points)))
        opening = mouth_opening(points)
        width = mouth_width(points) / face_scale(points)
        key = self._bin(opening, width)
        matrix = canonical_transform(points, index.scale)
        patch = cv2.warpAffine(
            rgb, matrix, index.size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
        grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY)
        sharpness = float(cv2.Laplacian(grey, cv2.CV_32F).var())
        held = index.bins.get(key)
        if held is None or sharpness > held.sharpness:
            index.bins[key] = Exemplar(
                _encode(patch), _apply(matrix, points.astype(np.float64)), opening, width, sharpness
            )

    def scan_state(self) -> dict:
        """What `observe` gathered, to restore instead of observing the same video again."""
        return {"options": self.options, "tracks": self._tracks}

    def restore_scan_state(self, state: dict) -> bool:
        """Take a saved scan state; False (nothing taken) when it was made with other options."""
        if state.get("options") != self.options:
            return False
        self._tracks = state["tracks"]
        return True

    def _bin(self, opening: float, width: float) -> tuple[int, int]:
        w = int(
            np.clip((width - 0.55) / 0.3 * self.options.width_bins, 0, self.options.width_bins - 1)
        )
        return int(opening / self.options.opening_step), w

    def exemplars(self, track_id: int) -> int:
        index = self._tracks.get(track_id)
        return len(index.bins) if index else 0

    def choose(self, track_id: int, opening: float, width: float) -> Exemplar | None:
        """The exemplar nearest the target shape, preferring the previous frame's."""
        index = self._tracks.get(track_id)
        if not index or not index.bins:
            return None
        best, best_cost = None, np.inf
        for ex in index.bins.values():
            cost = abs(ex.opening - opening) + 0.5 * abs(ex.width - width)
            if ex is not index.previous:
                cost += self.options.switch_cost
            if cost < best_cost:
                best, best_cost = ex, cost
        index.previous = best
        return best

    def render(
        self, rgb: np.ndarray, points: np.ndarray, target: MouthTarget, track_id: int = 0
    ) -> MouthEdit:
        """Move the jaw to the chosen exemplar's shape (a warp: the face outline must move),
        then clone the exemplar's real mouth (lips, teeth, inside) onto it."""
        pts = points.astype(np.float64)
        scale = face_scale(pts)
        rest_width = mouth_width(pts) / scale
        ex = self.choose(track_id, target.opening, rest_width * target.width)
        if ex is None:
            return self._warper.render(rgb, points, target)
        # Warp to the exemplar's own shape, or to the target when no exemplar is near it.
        residual = target.opening - ex.opening
        shape = (
            target
            if abs(residual) > self.options.correct_above
            else MouthTarget(ex.opening, ex.width / max(rest_width, 1e-6))
        )
        moved = self._warper.render(rgb, points, shape)
        new_pts = pts + lip_moves(
            pts, shape, self._warper.options.jaw_follow, self._warper.options.jaw_follow_closing
        )
        ids = list(OUTER_LIPS) + list(NOSE_BOTTOM)
        to_frame, _ = cv2.estimateAffinePartial2D(
            ex.canonical[ids].astype(np.float32), new_pts[ids].astype(np.float32), method=cv2.LMEDS
        )
        if to_frame is None:
            return moved
        # Work in a box around the lips: cloning and warps there cost a fraction of the frame.
        margin = scale * self.options.mouth_margin
        x0, y0, x1, y1 = _box(new_pts[list(OUTER_LIPS)], margin + 6, rgb.shape)
        to_box = to_frame - np.array([[0, 0, x0], [0, 0, y0]])
        size = (x1 - x0, y1 - y0)
        patch = ex.patch
        placed = cv2.warpAffine(
            patch, to_box, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
        covered = np.full(patch.shape[:2], 255, np.uint8)
        valid = cv2.erode(
            cv2.warpAffine(covered, to_box, size, flags=cv2.INTER_NEAREST),
            np.ones((5, 5), np.uint8),
        )
        mask = self._clone_mask(new_pts - (x0, y0), valid, margin)
        if not mask.any():
            return moved
        under = moved.rgb[y0:y1, x0:x1]
        placed = _match_colour(placed, under, mask)
        mask = _drop_foreign_band(mask, placed, under, new_pts - (x0, y0), scale)
        if not mask.any():
            return moved
        ys, xs = np.nonzero(mask)
        centre = (int((xs.min() + xs.max() + 1) // 2), int((ys.min() + ys.max() + 1) // 2))
        out = moved.rgb.copy()
        cloned = cv2.seamlessClone(placed, under, mask, centre, cv2.NORMAL_CLONE)
        out[y0:y1, x0:x1] = keep_skin_texture(cloned, under, new_pts - (x0, y0), mask, scale)
        soft = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (0, 0), 2.0)
        return MouthEdit(out, *_union_mask(moved.mask, moved.box, soft, (x0, y0, x1, y1)))

    @staticmethod
    def _clone_mask(points: np.ndarray, valid: np.ndarray, margin: float) -> np.ndarray:
        """The lips and a band of skin around them, inside the face and the exemplar patch."""
        hull = cv2.convexHull(points[list(OUTER_LIPS)].astype(np.float32))
        mask = np.zeros(valid.shape, np.uint8)
        cv2.fillConvexPoly(mask, np.round(hull).astype(np.int32), 255)
        size = 2 * max(int(round(margin)), 1) + 1
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
        mask &= valid
        # seamlessClone needs a margin from the image edge.
        mask[:2], mask[-2:], mask[:, :2], mask[:, -2:] = 0, 0, 0, 0
        return mask


def _union_mask(
    mask_a: np.ndarray, box_a, mask_b: np.ndarray, box_b
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Two blend masks, each over its own box, as one (their maximum) over the box holding
    both."""
    boxes = np.array([box_a, box_b])
    x0, y0 = boxes[:, :2].min(axis=0)
    x1, y1 = boxes[:, 2:].max(axis=0)
    out = np.zeros((y1 - y0, x1 - x0), np.float32)
    for mask, (bx0, by0, bx1, by1) in ((mask_a, box_a), (mask_b, box_b)):
        part = out[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0]
        np.maximum(part, mask, out=part)
    return out, (int(x0), int(y0), int(x1), int(y1))


def keep_skin_texture(
    cloned: np.ndarray, frame: np.ndarray, points: np.ndarray, mask: np.ndarray, scale: float
) -> np.ndarray:
    """Put the frame's own fine detail (skin pores, stubble, beard) back on the skin band of a
    cloned mouth: the clone brings the exemplar's lips and its low frequencies, and Poisson
    blending softens texture; only the lips themselves keep the exemplar's detail."""
    sigma = max(1.0, 0.012 * scale)
    lips = np.zeros(mask.shape, np.uint8)
    hull = cv2.convexHull(points[list(OUTER_LIPS)].astype(np.float32))
    cv2.fillConvexPoly(lips, np.round(hull).astype(np.int32), 255)
    grow = 2 * max(int(round(0.05 * scale)), 1) + 1
    lips = cv2.dilate(lips, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    skin = ((mask > 0) & (lips == 0)).astype(np.float32)
    weight = cv2.GaussianBlur(skin, (0, 0), 2.0)[..., None]
    cloned_f, frame_f = cloned.astype(np.float32), frame.astype(np.float32)
    cloned_high = cloned_f - cv2.GaussianBlur(cloned_f, (0, 0), sigma)
    frame_high = frame_f - cv2.GaussianBlur(frame_f, (0, 0), sigma)
    out = cloned_f + weight * (frame_high - cloned_high)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _drop_foreign_band(
    mask: np.ndarray, placed: np.ndarray, frame: np.ndarray, points: np.ndarray, scale: float
) -> np.ndarray:
    """Leave out of the clone the skin band's pixels that differ wildly from the frame: an
    exemplar from a frame where the head was turned another way carries background or hair
    there, which cloning would paint onto the cheek. The lips themselves always stay."""
    lips = np.zeros(mask.shape, np.uint8)
    hull = cv2.convexHull(points[list(OUTER_LIPS)].astype(np.float32))
    cv2.fillConvexPoly(lips, np.round(hull).astype(np.int32), 255)
    grow = 2 * max(int(round(0.05 * scale)), 1) + 1
    lips = cv2.dilate(lips, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow)))
    differs = np.abs(placed.astype(np.int16) - frame.astype(np.int16)).mean(axis=2) > 40
    differs = cv2.dilate(differs.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    out = mask.copy()
    out[differs & (lips == 0)] = 0
    return out


def _encode(patch: np.ndarray) -> bytes:
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(patch, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95]
    )
    if not ok:
        raise ValueError("could not encode a mouth patch")
    return data.tobytes()


def _box(points: np.ndarray, pad: float, shape) -> tuple[int, int, int, int]:
    low = np.floor(points.min(axis=0) - pad).astype(int)
    high = np.ceil(points.max(axis=0) + pad).astype(int)
    return (max(low[0], 0), max(low[1], 0), min(high[0], shape[1]), min(high[1], shape[0]))


def _match_colour(placed: np.ndarray, frame: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Shift the exemplar's colour to the frame's, measured on the band along the mask edge
    (skin in both; the mouth inside may differ in content, not lighting)."""
    band = (mask > 0) & (cv2.erode(mask, np.ones((9, 9), np.uint8)) == 0)
    if not band.any():
        return placed
    shift = frame[band].astype(np.float32).mean(0) - placed[band].astype(np.float32).mean(0)
    return np.clip(placed.astype(np.float32) + shift, 0, 255).astype(np.uint8)
