"""FaceMesh landmarks with MediaPipe's legacy solutions, whose models ship inside the wheel.

FaceMesh's own detector is short-range: it misses faces that fill little of the frame. When it
finds nothing, the full-range FaceDetection model finds the faces, each is cropped and enlarged,
and FaceMesh runs on the crop; the crop then follows the face from its previous landmarks.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

# Faces smaller than this (pixels across the landmarks) are enlarged before FaceMesh.
CROP_SIZE = 256
# Crop margin around a face, as a multiple of its size.
CROP_MARGIN = 1.8
# Frames between full-range detection attempts while no face is found.
REDETECT_EVERY = 5


def _quiet_mediapipe() -> None:
    # MediaPipe's C++ logging goes to stderr by default; keep it to errors.
    os.environ.setdefault("GLOG_minloglevel", "2")


class MediaPipeFaceLandmarker:
    """Finds faces in RGB frames and returns their 478 landmarks in pixel coordinates.

    Frames must be passed in order (FaceMesh tracks between frames). One instance per video.
    """

    name = "mediapipe-facemesh"

    def __init__(self, max_faces: int = 4, min_confidence: float = 0.5) -> None:
        _quiet_mediapipe()
        import mediapipe as mp

        solutions = mp.solutions
        self._mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=max_faces,
            refine_landmarks=True,
            min_detection_confidence=min_confidence,
            min_tracking_confidence=min_confidence,
        )
        self._crop_mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=min_confidence,
        )
        self._finder = solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence
        )
        self._crop_boxes: list[tuple[float, float, float]] = []  # (cx, cy, size) in pixels
        self._frames_since_search = REDETECT_EVERY

    def close(self) -> None:
        for solution in (self._mesh, self._crop_mesh, self._finder):
            solution.close()

    def __enter__(self) -> MediaPipeFaceLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def landmarks(self, rgb: np.ndarray) -> list[np.ndarray]:
        """Every face's landmarks in this frame, each (478, 2) float32 pixel coordinates."""
        height, width = rgb.shape[:2]
        rgb = np.ascontiguousarray(rgb)
        result = self._mesh.process(rgb)
        if result.multi_face_landmarks:
            self._crop_boxes = []
            found = result.multi_face_landmarks
            return [_to_pixels(face, 0.0, 0.0, width, height) for face in found]
        return self._small_faces(rgb)

    def _small_faces(self, rgb: np.ndarray) -> list[np.ndarray]:
        if not self._crop_boxes:
            self._frames_since_search += 1
            if self._frames_since_search < REDETECT_EVERY:
                return []
            self._frames_since_search = 0
            self._crop_boxes = self._find_faces(rgb)
        faces, boxes = [], []
        for box in self._crop_boxes:
            points = self._mesh_in_crop(rgb, box)
            if points is not None:
                faces.append(points)
                boxes.append(_box_around(points))
        self._crop_boxes = boxes
        return faces

    def _find_faces(self, rgb: np.ndarray) -> list[tuple[float, float, float]]:
        height, width = rgb.shape[:2]
        found = self._finder.process(rgb).detections or []
        boxes = []
        for detection in found:
            box = detection.location_data.relative_bounding_box
            size = max(box.width * width, box.height * height)
            cx = (box.xmin + box.width / 2) * width
            cy = (box.ymin + box.height / 2) * height
            boxes.append((cx, cy, size * CROP_MARGIN))
        return boxes

    def _mesh_in_crop(self, rgb: np.ndarray, box: tuple[float, float, float]) -> np.ndarray | None:
        cx, cy, size = box
        height, width = rgb.shape[:2]
        x0, y0 = int(round(cx - size / 2)), int(round(cy - size / 2))
        side = max(int(round(size)), 8)
        # Pad so crops at the frame edge keep the face centred and square.
        crop = np.zeros((side, side, 3), np.uint8)
        sx0, sy0 = max(x0, 0), max(y0, 0)
        sx1, sy1 = min(x0 + side, width), min(y0 + side, height)
        if sx1 <= sx0 or sy1 <= sy0:
            return None
        crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
        scaled = cv2.resize(crop, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_CUBIC)
        result = self._crop_mesh.process(scaled)
        if not result.multi_face_landmarks:
            return None
        return _to_pixels(result.multi_face_landmarks[0], x0, y0, side, side)


def _to_pixels(face, x0: float, y0: float, width: float, height: float) -> np.ndarray:
    points = np.array([(p.x, p.y) for p in face.landmark], dtype=np.float32)
    points *= np.array([width, height], dtype=np.float32)
    points += np.array([x0, y0], dtype=np.float32)
    return points


def _box_around(points: np.ndarray) -> tuple[float, float, float]:
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    return float(centre[0]), float(centre[1]), float((high - low).max() * CROP_MARGIN)
