"""BlazeFace face detection as MediaPipe's graphs run it: letterboxed input in [-1, 1], SSD
anchors, box and keypoint decoding, weighted non-maximum suppression.

Two models ship in the mediapipe wheel: short range (128 px input, faces within about 2 m)
and full range (192 px, small faces far from the camera).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from polydub.engines.face.face_models import (
    FULL_RANGE_DETECTOR,
    SHORT_RANGE_DETECTOR,
    TfliteModel,
)

# Overlap above which detections are merged into one (MediaPipe's face graphs use 0.3).
MERGE_OVERLAP = 0.3


@dataclass(frozen=True)
class Detection:
    """A face: its box (x0, y0, x1, y1) and six keypoints (right eye, left eye, nose tip, mouth,
    right ear, left ear as the subject sees them), all in frame pixels."""

    box: tuple[float, float, float, float]
    keypoints: np.ndarray  # (6, 2)
    score: float


@dataclass(frozen=True)
class _AnchorLayout:
    model: str
    strides: tuple[int, ...]
    anchors_per_cell: tuple[int, ...]


# MediaPipe's SsdAnchorsCalculator options for the two models, with fixed-size anchors: each
# stride gives a grid; layers sharing a stride stack their anchors on one grid.
SHORT_RANGE = _AnchorLayout(SHORT_RANGE_DETECTOR, (8, 16), (2, 6))
FULL_RANGE = _AnchorLayout(FULL_RANGE_DETECTOR, (4,), (1,))


class BlazeFace:
    def __init__(self, layout: _AnchorLayout, min_score: float = 0.5) -> None:
        self._model = TfliteModel(layout.model)
        self.size = self._model.input_size[0]
        self._anchors = _anchor_centres(self.size, layout)
        self._min_logit = float(np.log(min_score / (1 - min_score)))

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        tensor, scale, pad_x, pad_y = _letterbox(rgb, self.size)
        raw, logits = self._model.run(tensor)
        logits = np.clip(logits[:, 0], -100, 100)
        keep = logits >= self._min_logit
        if not keep.any():
            return []
        raw, scores = raw[keep], 1 / (1 + np.exp(-logits[keep]))
        anchors = self._anchors[keep]
        # Offsets are in model-input pixels relative to each anchor centre.
        centres = raw[:, :2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centres - half, centres + half], axis=1)
        keypoints = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
        # Model-input pixels -> frame pixels (undo the letterbox).
        boxes = (boxes - [pad_x, pad_y, pad_x, pad_y]) / scale
        keypoints = (keypoints - [pad_x, pad_y]) / scale
        return _weighted_nms(boxes, keypoints, scores)


def _anchor_centres(size: int, layout: _AnchorLayout) -> np.ndarray:
    """Anchor centres in model-input pixels, in the order the model emits its outputs."""
    centres = []
    for stride, count in zip(layout.strides, layout.anchors_per_cell, strict=True):
        cells = size // stride
        grid = (np.arange(cells) + 0.5) * stride
        xs, ys = np.meshgrid(grid, grid)
        cell = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell, count, axis=0))
    return np.concatenate(centres).astype(np.float32)


def _letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, float, float]:
    """The frame scaled to fit a size x size square (aspect kept, black bars), in [-1, 1]."""
    height, width = rgb.shape[:2]
    scale = size / max(width, height)
    pad_x, pad_y = (size - width * scale) / 2, (size - height * scale) / 2
    matrix = np.array([[scale, 0, pad_x], [0, scale, pad_y]])
    square = cv2.warpAffine(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR)
    return square.astype(np.float32) * (2 / 255) - 1, scale, pad_x, pad_y


def _weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray) -> list[Detection]:
    """Merge overlapping detections into their score-weighted mean (MediaPipe's WEIGHTED)."""
    order = list(np.argsort(-scores))
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    out = []
    while order:
        best = order[0]
        rest = np.array(order)
        x0 = np.maximum(boxes[rest, 0], boxes[best, 0])
        y0 = np.maximum(boxes[rest, 1], boxes[best, 1])
        x1 = np.minimum(boxes[rest, 2], boxes[best, 2])
        y1 = np.minimum(boxes[rest, 3], boxes[best, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        iou = inter / (area[rest] + area[best] - inter + 1e-9)
        group = rest[iou > MERGE_OVERLAP]
        weights = scores[group] / scores[group].sum()
        box = (boxes[group] * weights[:, None]).sum(axis=0)
        points = (keypoints[group] * weights[:, None, None]).sum(axis=0)
        out.append(Detection(tuple(float(v) for v in box), points, float(scores[best])))
        order = [i for i, o in zip(rest, iou, strict=True) if o <= MERGE_OVERLAP]
    return out
