"""Named FaceMesh landmark indices and the mouth measurements lip-sync and scoring share."""

from __future__ import annotations

import numpy as np

# FaceMesh's 478-point topology (468 with iris refinement off; the mouth indices are the same).
OUTER_UPPER_LIP = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
OUTER_LOWER_LIP = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
INNER_UPPER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
INNER_LOWER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
# The lower face oval from cheek to cheek through the chin (152).
JAW = (
    234,
    93,
    132,
    58,
    172,
    136,
    150,
    149,
    176,
    148,
    152,
    377,
    400,
    378,
    379,
    365,
    397,
    288,
    361,
    323,
    454,
)
CHIN = 152
NOSE_BOTTOM = (98, 97, 2, 326, 327)
LEFT_EYE_OUTER, RIGHT_EYE_OUTER = 33, 263
MOUTH_LEFT, MOUTH_RIGHT = 61, 291
# Inner-lip pairs across the middle of the mouth, upper then lower.
_GAP_PAIRS = ((81, 178), (82, 87), (13, 14), (312, 317), (311, 402))
_GAP_UPPER = [a for a, _ in _GAP_PAIRS]
_GAP_LOWER = [b for _, b in _GAP_PAIRS]

INNER_LIPS = INNER_UPPER_LIP + INNER_LOWER_LIP[1:-1][::-1]
OUTER_LIPS = OUTER_UPPER_LIP + OUTER_LOWER_LIP[1:-1][::-1]
LOWER_LIP = tuple(sorted(set(OUTER_LOWER_LIP[1:-1] + INNER_LOWER_LIP[1:-1])))


def face_scale(points: np.ndarray) -> float:
    """Distance between the outer eye corners: a size that does not change as the mouth moves."""
    return float(np.linalg.norm(points[RIGHT_EYE_OUTER] - points[LEFT_EYE_OUTER])) + 1e-6


def mouth_gap(points: np.ndarray) -> float:
    """Mean distance between the inner lips across the middle of the mouth, in pixels."""
    upper = points[_GAP_UPPER]
    lower = points[_GAP_LOWER]
    return float(np.linalg.norm(lower - upper, axis=1).mean())


def mouth_opening(points: np.ndarray) -> float:
    """How open the mouth is, as inner-lip gap over face scale (0 closed, ~0.3 wide open)."""
    return mouth_gap(points) / face_scale(points)


def mouth_width(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[MOUTH_RIGHT] - points[MOUTH_LEFT]))


def face_axes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors across the face (left eye to right eye) and down it (towards the chin)."""
    across = points[RIGHT_EYE_OUTER] - points[LEFT_EYE_OUTER]
    across = across / (np.linalg.norm(across) + 1e-6)
    down = np.array([-across[1], across[0]], dtype=np.float64)
    eyes = (points[RIGHT_EYE_OUTER] + points[LEFT_EYE_OUTER]) / 2
    if np.dot(points[CHIN] - eyes, down) < 0:
        down = -down
    return across, down


# The face contour at cheek height, either side, and the nose tip (FaceMesh indices).
LEFT_CHEEK_EDGE, RIGHT_CHEEK_EDGE, NOSE_TIP = 234, 454, 1


def turn_ratio(points: np.ndarray) -> float:
    """How far the head is turned: 0 frontal, towards +-1 in profile (the nose tip's offset
    between the two cheek edges, as a share of the distance between them)."""
    left = float(np.linalg.norm(points[NOSE_TIP] - points[LEFT_CHEEK_EDGE]))
    right = float(np.linalg.norm(points[NOSE_TIP] - points[RIGHT_CHEEK_EDGE]))
    return (left - right) / (left + right + 1e-6)
