"""The frames the face-landmark regression fixture was recorded on: scikit-image's astronaut
(NASA, public domain) as a still, turned 25 degrees, and pasted into 720p frames large and
small (the small one needs the full-range detector); and a short clip whose mouth opens and
closes (the face is followed from frame to frame)."""

from __future__ import annotations

import cv2
import numpy as np

from polydub.face_samples import FacePlacement, TalkingFaces, one_face_placement


def reference_frames() -> dict[str, np.ndarray]:
    from skimage import data

    astronaut = data.astronaut()
    turn = cv2.getRotationMatrix2D((256, 256), 25, 1.0)
    turned = cv2.warpAffine(astronaut, turn, (512, 512), borderMode=cv2.BORDER_REFLECT)
    return {
        "still": astronaut,
        "turned": turned,
        "large_720p": TalkingFaces(1280, 720, [one_face_placement(1280, 720)]).frame([0.6]),
        "small_720p": TalkingFaces(1280, 720, [FacePlacement(900, 420, 0.75)]).frame([0.8]),
    }


CLIP_FRAMES = 30
CLIP_KEPT = (10, 20, 29)  # frames whose landmarks the fixture keeps


def reference_clip() -> list[np.ndarray]:
    faces = TalkingFaces(960, 540, [one_face_placement(960, 540, zoom=1.6)])
    return [faces.frame([0.5 + 0.5 * np.sin(i / 3.0)]) for i in range(CLIP_FRAMES)]
