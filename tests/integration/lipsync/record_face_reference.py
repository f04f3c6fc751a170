"""Records tests/integration/lipsync/data/mediapipe_landmarks.npz with MediaPipe's own runtime.

Run once, by hand, with mediapipe==0.10.21 installed with its dependencies (a throwaway venv)
and polydub at d03d1c0, the last commit whose landmarker ran mediapipe's FaceMesh solution:
    PYTHONPATH=<d03d1c0>/src python tests/integration/lipsync/record_face_reference.py
Stored:
  facemesh_<frame>: FaceMesh (static image, refine_landmarks) 478 points, the model and
      settings the LiteRT path reproduces;
  old_small_720p: the old landmarker on the small face (it cropped and enlarged small faces,
      the new path crops the frame itself);
  clip_<n>: the old landmarker's points on frame n of the clip, followed frame to frame.
"""

from __future__ import annotations

import sys
from pathlib import Path

import mediapipe as mp
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from face_reference_frames import CLIP_KEPT, reference_clip, reference_frames  # noqa: E402

from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker  # noqa: E402


def main() -> None:
    out = {}
    frames = reference_frames()
    for name, rgb in frames.items():
        height, width = rgb.shape[:2]
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as m:
            found = m.process(rgb).multi_face_landmarks
        if found:
            points = [(p.x * width, p.y * height) for p in found[0].landmark]
            out[f"facemesh_{name}"] = np.array(points, np.float32)
    with MediaPipeFaceLandmarker() as landmarker:
        for _ in range(6):  # full-range detection runs every few frames
            if faces := landmarker.landmarks(frames["small_720p"]):
                out["old_small_720p"] = faces[0]
                break
    with MediaPipeFaceLandmarker() as landmarker:
        for n, rgb in enumerate(reference_clip()):
            faces = landmarker.landmarks(rgb)
            if n in CLIP_KEPT:
                (out[f"clip_{n}"],) = faces
    np.savez_compressed(Path(__file__).parent / "data" / "mediapipe_landmarks.npz", **out)


if __name__ == "__main__":
    main()
