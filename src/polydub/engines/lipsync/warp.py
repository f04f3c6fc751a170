"""Speed mode: move the lips and jaw to the target shape with a smooth warp, feathered in.

The lower lip moves along the face's down axis by the missing (or surplus) lip gap, the jaw
follows with less, the corners with a little; a thin-plate spline through those moves (and
still anchors around the region) gives a displacement field, evaluated on a coarse grid and
sampled with cv2.remap. Where the mouth opens wider than the source, the new gap is filled with
the inside of the speaker's own widest-open mouth seen during the scan (teeth, tongue, shadow),
or shaded dark when the speaker never opened it. Precision mode uses whole real mouth frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from polydub.engines.face.landmarks import (
    CHIN,
    INNER_LIPS,
    JAW,
    LOWER_LIP,
    MOUTH_LEFT,
    MOUTH_RIGHT,
    NOSE_BOTTOM,
    OUTER_LIPS,
    face_axes,
    face_scale,
    mouth_gap,
)
from polydub.engines.lipsync.base import MouthEdit, MouthTarget
from polydub.engines.lipsync.inner_mouth import InnerMouthBank
from polydub.engines.lipsync.spline import ThinPlateSpline

_UPPER_FIXED = (0, 37, 267, 39, 269, 13, 82, 312)
_CORNERS = (MOUTH_LEFT, MOUTH_RIGHT, 78, 308)
CAVITY_RGB = np.array((62, 26, 30), np.float32)
_JAW = list(JAW)
_LIPS = list(set(OUTER_LIPS) | set(INNER_LIPS))


@dataclass(frozen=True)
class WarpOptions:
    feather: float = 0.10  # blend edge width, in face scales
    # The blend edge lies this far outside the jaw line, where the warp barely moves anything:
    # blending across the moving jaw edge itself would smear it (a visible seam).
    mask_grow: float = 0.45
    margin: float = 0.30  # region beyond the jaw that may move, in face scales
    grid_step: int = 8  # pixels between evaluated field samples
    jaw_follow: float = 0.85  # how far the chin drops, as a share of the lower lip's move
    # Closing moves the chin less: rising, it would stretch the neck it cannot reveal.
    jaw_follow_closing: float = 0.4


class MouthWarper:
    """The speed-mode renderer: landmark-driven warp of lips and jaw."""

    name = "warp"

    def __init__(self, options: WarpOptions | None = None) -> None:
        self.options = options or WarpOptions()
        self.inner = InnerMouthBank()

    def observe(self, track_id: int, rgb: np.ndarray, points: np.ndarray) -> None:
        """Keep each face's widest-open mouth (called by the driver while it scans)."""
        self.inner.observe(track_id, rgb, points)

    def scan_state(self) -> dict:
        return {"options": self.options, "inner": self.inner.mouths}

    def restore_scan_state(self, state: dict) -> bool:
        if state.get("options") != self.options:
            return False
        self.inner.mouths = state["inner"]
        return True

    def render(
        self, rgb: np.ndarray, points: np.ndarray, target: MouthTarget, track_id: int = 0
    ) -> MouthEdit:
        pts = points.astype(np.float64)
        scale = face_scale(pts)
        moves = lip_moves(pts, target, self.options.jaw_follow, self.options.jaw_follow_closing)
        box = _region(pts, moves, scale, self.options, rgb.shape)
        x0, y0, x1, y1 = box
        if x1 - x0 < 8 or y1 - y0 < 8:
            return _unchanged(rgb, box)
        fence = _fence(pts, moves, scale * self.options.mask_grow)
        feather = scale * self.options.feather
        # Only the mask's support changes (the box is wider: its edge pins the spline); the
        # work below is confined to it, which leaves every pixel as it was.
        work = _support(fence, feather, box)
        wx0, wy0, wx1, wy1 = work
        if wx1 - wx0 < 2 or wy1 - wy0 < 2:  # the face's lower half lies outside the frame
            return _unchanged(rgb, box)
        # The mask over the support alone: the blur's reach ends inside it (or at the box's
        # edge, where the box's own mask ends too), so it is the box's mask cut to it.
        weight = region_mask(fence, work, feather)
        warped = _warp_region(rgb, pts, moves, box, self.options.grid_step, weight, fence, work)
        gap_added = mouth_gap(pts + moves) - mouth_gap(pts)
        mouth = _mouth_box(pts + moves, work)
        mx0, my0, mx1, my1 = mouth
        if gap_added > 0.5 and mx1 - mx0 >= 2 and my1 - my0 >= 2:
            new_inner = (pts + moves)[list(INNER_LIPS)] - (mx0, my0)
            inside = self.inner.drawn(track_id, new_inner, (mx1 - mx0, my1 - my0))
            patch = warped[my0 - wy0 : my1 - wy0, mx0 - wx0 : mx1 - wx0]
            _shade_cavity(patch, pts + moves, mouth, gap_added, inside)
        out = rgb.copy()
        _blend_into(out[wy0:wy1, wx0:wx1], warped, weight)
        # The edited region is the mask's support (the seam measure then works on it alone).
        return MouthEdit(out, weight, work)


def _blend_into(region: np.ndarray, warped: np.ndarray, weight: np.ndarray) -> None:
    """region += weight * (warped - region), in float32, rounded to the nearest (in place).
    OpenCV's arithmetic gives numpy's float32 figures with fewer temporaries (a quarter less
    CPU on 720p faces)."""
    blended = cv2.subtract(warped, region, dtype=cv2.CV_32F)
    cv2.multiply(blended, cv2.merge([weight, weight, weight]), dst=blended)
    cv2.add(blended, region, dst=blended, dtype=cv2.CV_32F)
    # The mask lies in 0..1, so the blend stays within 0..255: rounding needs no clip.
    blended += 0.5
    region[...] = blended  # truncates, as astype(np.uint8) does


def _unchanged(rgb: np.ndarray, box) -> MouthEdit:
    x0, y0, x1, y1 = box
    return MouthEdit(rgb, np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), np.float32), box)


def lip_moves(
    pts: np.ndarray, target: MouthTarget, jaw_follow: float = 0.85, jaw_closing: float = 0.4
) -> np.ndarray:
    """Per-landmark displacement (478, 2) that gives the mouth the target opening and width;
    zero for landmarks that do not move."""
    scale = face_scale(pts)
    across, down = face_axes(pts)
    drop = target.opening * scale - mouth_gap(pts)
    moves = np.zeros_like(pts)
    jaw_follow = jaw_follow if drop >= 0 else jaw_closing
    centre = (pts[MOUTH_LEFT] + pts[MOUTH_RIGHT]) / 2
    chin_depth = max(float(np.dot(pts[CHIN] - centre, down)), 1.0)
    depth = (pts[_JAW] - centre) @ down / chin_depth
    moves[_JAW] = np.outer(np.clip(depth, 0.0, 1.0) ** 1.5 * jaw_follow * drop, down)
    # The lower lip drops most in the middle and little at the corners (a jaw hinge), which
    # also keeps the map from folding where lip points sit close together near the corners.
    lower = list(LOWER_LIP)
    half = max(float(np.linalg.norm(pts[MOUTH_RIGHT] - pts[MOUTH_LEFT])) / 2, 1.0)
    side = (pts[lower] - centre) @ across / half
    moves[lower] = np.outer(drop * np.clip(1 - 0.7 * side**2, 0.3, 1.0), down)
    moves[list(_CORNERS)] = 0.3 * drop * down
    sideways = (pts[_LIPS] - centre) @ across
    moves[_LIPS] += np.outer((target.width - 1.0) * sideways, across)
    return moves


def _region(pts, moves, scale, options: WarpOptions, shape) -> tuple[int, int, int, int]:
    """The box that may change: lower face before and after the move, plus margin."""
    ids = list(JAW) + list(NOSE_BOTTOM)
    both = np.vstack([pts[ids], pts[ids] + moves[ids]])
    pad = scale * (options.margin + options.mask_grow + options.feather)
    low = np.floor(both.min(axis=0) - pad).astype(int)
    high = np.ceil(both.max(axis=0) + pad).astype(int)
    height, width = shape[:2]
    return (max(low[0], 0), max(low[1], 0), min(high[0], width), min(high[1], height))


def _fence(pts, moves, grow: float) -> np.ndarray:
    """Still points on the lower-face outline pushed out by `grow`: the warp is pinned there,
    so the jaw's move is taken up inside the blended region and nothing moves at its edge."""
    ids = list(JAW) + list(NOSE_BOTTOM)
    both = np.vstack([pts[ids], pts[ids] + moves[ids]])
    hull = cv2.convexHull(both.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    # Push each corner out along its outward normal (the bisector of its two edges' normals).
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-9
    if np.dot(normals[0], hull[0] - hull.mean(axis=0)) < 0:
        normals = -normals
    corner = normals + np.roll(normals, 1, axis=0)
    corner /= np.linalg.norm(corner, axis=1, keepdims=True) + 1e-9
    return hull + grow * corner


def _warp_region(
    rgb, pts, moves, box, step: int, falloff: np.ndarray, fence: np.ndarray, work=None
) -> np.ndarray:
    """The `work` part (default: all) of the box of `rgb` with the landmarks moved by `moves`:
    a thin-plate spline through the moved landmarks and still anchors (upper lip, nose, fence,
    box edge), evaluated every `step` pixels of the box and faded out with `falloff` (the blend
    mask over `work`; the box's mask is zero outside it)."""
    x0, y0, x1, y1 = box
    wx0, wy0, wx1, wy1 = work or box
    moving = np.flatnonzero(np.abs(moves).sum(axis=1) > 1e-3)
    still = list(_UPPER_FIXED) + list(NOSE_BOTTOM)
    # Still anchors along the box edge keep the field at zero where the blend ends.
    edge = np.concatenate(
        [
            np.stack([np.linspace(x0, x1, 9), np.full(9, y0)], 1),
            np.stack([np.linspace(x0, x1, 9), np.full(9, y1)], 1),
            np.stack([np.full(7, x0), np.linspace(y0, y1, 7)], 1),
            np.stack([np.full(7, x1), np.linspace(y0, y1, 7)], 1),
        ]
    )
    targets = np.vstack([pts[moving] + moves[moving], pts[still], edge, fence])
    # Backward map: at each output position, where to read the source from.
    back = np.vstack([-moves[moving], np.zeros((len(still) + len(edge) + len(fence), 2))])
    field = ThinPlateSpline(targets, back, smoothing=1e-3)
    gx = np.arange(x0, x1 + step, step, dtype=np.float64)
    gy = np.arange(y0, y1 + step, step, dtype=np.float64)
    # The spline is evaluated only at the grid points near the mask (the field is faded to
    # zero elsewhere): the others stay zero, and they reach no pixel the mask lets through.
    needed = _grid_near(falloff > 0, (wx0 - x0, wy0 - y0), step, (len(gy), len(gx)))
    coarse = np.zeros((len(gy), len(gx), 2), np.float32)
    rows, cols = np.nonzero(needed)
    if len(rows):
        coarse[rows, cols] = field(np.stack([gx[cols], gy[rows]], axis=1)).astype(np.float32)
    # Sample the coarse field at every pixel of the box (linear between grid points).
    dense = cv2.resize(
        coarse, ((len(gx) - 1) * step + 1, (len(gy) - 1) * step + 1), interpolation=cv2.INTER_LINEAR
    )[wy0 - y0 : wy1 - y0, wx0 - x0 : wx1 - x0]
    # The field fades out with the blend mask, so nothing moves where the blend ends.
    map_x = dense[..., 0] * falloff
    map_x += np.arange(wx0, wx1, dtype=np.float32)
    map_y = dense[..., 1] * falloff
    map_y += np.arange(wy0, wy1, dtype=np.float32)[:, None]
    return cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


# Grid cells either side of a masked pixel whose points its field is interpolated from (one,
# and one more for cv2.resize's half-pixel alignment).
_GRID_REACH = 2


def _grid_near(
    inside: np.ndarray, offset: tuple[int, int], step: int, shape: tuple[int, int]
) -> np.ndarray:
    """Which points of a `shape` grid (every `step` pixels from the box's corner) lie within
    _GRID_REACH cells of a pixel where `inside` is set (`inside` starts `offset` (x, y)
    pixels from the box's corner)."""
    rows, cols = shape
    ox, oy = offset
    padded = np.zeros((rows * step, cols * step), bool)
    padded[oy : oy + inside.shape[0], ox : ox + inside.shape[1]] = inside
    # Rows of cells first, then columns: one reduction over both axes at once was 4x slower.
    cells = padded.reshape(rows, step, cols * step).any(axis=1)
    cells = cells.reshape(rows, cols, step).any(axis=2).astype(np.uint8)
    size = 2 * _GRID_REACH + 1
    return cv2.dilate(cells, np.ones((size, size), np.uint8)) > 0


def _support(fence: np.ndarray, feather: float, box) -> tuple[int, int, int, int]:
    """The part of the box where region_mask(fence, box, feather) can be above zero: the
    fence's bounds plus the blur's reach (and a pixel for the anti-aliased edge)."""
    return _padded_bounds(fence, max(int(round(feather)), 1) + 2, box)


# Room around the lips for the cavity's soft edge (its blur reaches 5 pixels).
_MOUTH_PAD = 8


def _mouth_box(new_pts: np.ndarray, work) -> tuple[int, int, int, int]:
    """The part of `work` the cavity fill can touch: around the new lips, with room for the
    soft edge (outside it the fill changes nothing)."""
    return _padded_bounds(new_pts[list(OUTER_LIPS) + list(INNER_LIPS)], _MOUTH_PAD, work)


def _padded_bounds(points: np.ndarray, pad: int, box) -> tuple[int, int, int, int]:
    """The bounds of `points` grown by `pad` pixels, kept inside `box` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    low = np.floor(points.min(axis=0)).astype(int) - pad
    high = np.ceil(points.max(axis=0)).astype(int) + pad + 1
    return (
        min(max(low[0], x0), x1),
        min(max(low[1], y0), y1),
        max(min(high[0], x1), x0),
        max(min(high[1], y1), y0),
    )


def _shade_cavity(warped, new_pts, box, gap_added: float, own_inside: np.ndarray | None) -> None:
    """Fill the opened gap between the inner lips, in place, with `own_inside` (the speaker's own
    open mouth, mapped onto the new lips) or, without it, darken it: a warp only stretches lips
    and teeth into the gap, while a real open mouth shows its inside."""
    x0, y0, x1, y1 = box
    poly = np.round((new_pts[list(INNER_LIPS)] - (x0, y0)) * 4).astype(np.int32)
    inside = np.zeros(warped.shape[:2], np.uint8)
    cv2.fillPoly(inside, [poly], 255, lineType=cv2.LINE_AA, shift=2)
    soft = cv2.GaussianBlur(inside.astype(np.float32) / 255.0, (0, 0), 1.2)
    if own_inside is not None:
        alpha = (soft * 0.95)[..., None]
        warped[:] = (warped * (1 - alpha) + own_inside.astype(np.float32) * alpha).astype(np.uint8)
        return
    new_gap = max(mouth_gap(new_pts), 1e-6)
    strength = float(np.clip(gap_added / new_gap, 0.0, 1.0)) * 0.9
    alpha = (soft * strength)[..., None]
    warped[:] = (warped * (1 - alpha) + _cavity(warped, new_pts, box, inside) * alpha).astype(
        np.uint8
    )


def _cavity(warped, new_pts, box, inside: np.ndarray) -> np.ndarray:
    """A mouth's dark inside in the speaker's own lip colour under this frame's light, darkest
    in the middle (where no light reaches), lighter toward the lips."""
    x0, y0, _, _ = box
    outer = np.zeros(warped.shape[:2], np.uint8)
    poly = np.round((new_pts[list(OUTER_LIPS)] - (x0, y0)) * 4).astype(np.int32)
    cv2.fillPoly(outer, [poly], 255, shift=2)
    lips = (outer > 0) & (inside == 0)
    colour = warped[lips].astype(np.float32).mean(axis=0) if lips.any() else CAVITY_RGB / 0.4
    depth = cv2.distanceTransform((inside > 127).astype(np.uint8), cv2.DIST_L2, 3)
    depth = depth / max(float(depth.max()), 1e-6)
    return colour * (0.45 - 0.25 * depth)[..., None]


def region_mask(fence: np.ndarray, box, feather: float) -> np.ndarray:
    """The blend mask over the box: inside the fence (the lower face outline, before and after
    the move, pushed out), softened by `feather` pixels and exactly zero beyond that."""
    x0, y0, x1, y1 = box
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillConvexPoly(
        mask, np.round((fence - (x0, y0)) * 4).astype(np.int32), 1.0, lineType=cv2.LINE_AA, shift=2
    )
    radius = max(int(round(feather)), 1)
    # The soft edge straddles the fence (where the warp is pinned still), clear of the moving
    # jaw line; the kernel's reach bounds it, so the mask is exactly zero beyond.
    size = 2 * radius + 1
    return cv2.GaussianBlur(mask, (size, size), radius / 2.0)
