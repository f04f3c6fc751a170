"""Is there a face at all? A quick look before a Lip Sync job does its work, so a video without
a face fails at once instead of after separation, recognition and mixing."""

from __future__ import annotations

from pathlib import Path

from polydub.engines.face.mediapipe_mesh import MediaPipeFaceLandmarker
from polydub.media.frames import read_frames, video_format


def video_has_a_face(video: Path, step_s: float = 0.5) -> bool:
    """True when a face is found on a frame sampled every `step_s` seconds (it stops at the
    first); True too when the picture cannot be read here (the stages will say why)."""
    try:
        fps = video_format(video).fps
    except Exception:  # no video stream, or one PyAV cannot read: not this check's to judge
        return True
    step = max(1, int(round(step_s * fps)))
    with MediaPipeFaceLandmarker() as landmarker:
        for frame in read_frames(video):
            if frame.index % step == 0 and landmarker.landmarks(frame.rgb):
                return True
    return False
