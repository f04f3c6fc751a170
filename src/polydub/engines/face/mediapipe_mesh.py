"""FaceMesh landmarks from MediaPipe's models, run the way its FaceMesh solution runs them.

The models ship in the mediapipe wheel and run with LiteRT (see face_models.py); mediapipe
itself is not imported. Per frame: the faces followed from the previous frame's landmarks,
plus short-range BlazeFace detection while fewer than `max_faces` are followed; each face is
cut out level along its eyes and FaceMesh's attention model (refined lips, eyes and irises:
478 points, see attention_mesh.py) runs on it.

The short-range detector misses faces that fill little of the frame. When nothing is found,
the full-range detector searches the frame every few frames; its faces are then followed like
any other.
"""

from __future__ import annotations

import numpy as np

from polydub.engines.face.attention_mesh import AttentionMesh
from polydub.engines.face.blazeface import FULL_RANGE, SHORT_RANGE, BlazeFace, Detection
from polydub.engines.face.rotated_crop import Region, overlap, region_around, region_from_points

# Frames between full-range detection attempts while no face is found.
REDETECT_EVERY = 5
# MediaPipe's margin: a face region is 1.5x the face's box.
FACE_MARGIN = 1.5
# A new detection overlapping a followed face this much is the same face.
SAME_FACE_OVERLAP = 0.5
# Landmarks that level the face for the next frame's crop (outer eye corners).
LEVEL_POINTS = (33, 263)
MESH_POINTS = 468


class MediaPipeFaceLandmarker:
    """Finds faces in RGB frames and returns their 478 landmarks in pixel coordinates.

    Frames must be passed in order (faces are followed between frames). One instance per video.
    """

    name = "mediapipe-facemesh"

    def __init__(
        self, max_faces: int = 4, min_confidence: float = 0.5, detect_every: int = 1
    ) -> None:
        """`detect_every`: while a face is followed, look for new ones on every n-th frame
        only (a face coming in is then found up to n - 1 frames late); with none followed,
        detection runs on every frame."""
        self._max_faces = max_faces
        self._detect_every = max(int(detect_every), 1)
        self._frames_since_detect = 0
        self._min_confidence = min_confidence
        self._near = BlazeFace(SHORT_RANGE, min_confidence)
        self._far = BlazeFace(FULL_RANGE, min_confidence)
        self._mesh = AttentionMesh()
        self._mesh_size = self._mesh.input_size
        self._followed: list[Region] = []
        self._frames_since_search = REDETECT_EVERY

    def close(self) -> None:
        self._followed = []

    def __enter__(self) -> MediaPipeFaceLandmarker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def landmarks(self, rgb: np.ndarray) -> list[np.ndarray]:
        """Every face's landmarks in this frame, each (478, 2) float32 pixel coordinates."""
        rgb = np.ascontiguousarray(rgb)
        regions = self._distinct(self._followed)[: self._max_faces]
        self._frames_since_detect += 1
        if regions and self._frames_since_detect < self._detect_every:
            meshes = [self._mesh_in(rgb, region) for region in regions]
            if all(points is not None for points in meshes):
                self._followed = [face_region(points) for points in meshes]
                return meshes
            # A followed face was lost (a cut, or it left): look for faces on this frame.
        self._frames_since_detect = 0
        if len(regions) < self._max_faces:
            regions = self._distinct(regions + self._detected(rgb, searching=not regions))
        faces, self._followed = [], []
        for region in regions[: self._max_faces]:
            points = self._mesh_in(rgb, region)
            if points is not None:
                faces.append(points)
                self._followed.append(face_region(points))
        return faces

    def landmarks_in(self, rgb: np.ndarray, region: Region) -> np.ndarray | None:
        """The landmarks of the face in `region` (see face_region), None when the model sees
        no face there; no detection, and nothing is followed."""
        return self._mesh_in(np.ascontiguousarray(rgb), region)

    def _detected(self, rgb: np.ndarray, searching: bool) -> list[Region]:
        found = self._near.detect(rgb)
        if not found and searching:
            self._frames_since_search += 1
            if self._frames_since_search >= REDETECT_EVERY:
                self._frames_since_search = 0
                found = self._far.detect(rgb)
        return [_face_region(d) for d in found]

    @staticmethod
    def _distinct(regions: list[Region]) -> list[Region]:
        """Drop regions that overlap an earlier one (earlier ones, the followed faces, win)."""
        kept: list[Region] = []
        for region in regions:
            if all(overlap(region, k) <= SAME_FACE_OVERLAP for k in kept):
                kept.append(region)
        return kept

    def _mesh_in(self, rgb: np.ndarray, region: Region) -> np.ndarray | None:
        points, score = self._mesh.landmarks(region.crop(rgb, self._mesh_size))
        if score < self._min_confidence:
            return None
        return region.project(points, self._mesh_size).astype(np.float32)


def face_region(points: np.ndarray) -> Region:
    """Where to look for a face in the next frame: around its landmarks, levelled."""
    return region_from_points(points[:MESH_POINTS], *LEVEL_POINTS, FACE_MARGIN)


def _face_region(detection: Detection) -> Region:
    right_eye, left_eye = detection.keypoints[0], detection.keypoints[1]
    return region_around(detection.box, right_eye, left_eye, FACE_MARGIN)
