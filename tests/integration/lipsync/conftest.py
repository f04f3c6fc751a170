"""Generated talking-face clips (scikit-image's astronaut with an animated mouth), shared by
the face and lip-sync tests. Small frames and a few seconds keep MediaPipe quick."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from face_clips import FPS, HEIGHT, SECONDS, WIDTH

from polydub.face_samples import (
    FacePlacement,
    TalkingFaces,
    one_face_placement,
    speech_like_audio,
    syllable_curve,
    talking_frames,
    write_video,
)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("faces")


@pytest.fixture(scope="session")
def speaker_curve() -> np.ndarray:
    return syllable_curve(SECONDS, FPS, seed=3)


@pytest.fixture(scope="session")
def dub_curve() -> np.ndarray:
    """The mouth curve of other speech, unrelated to the speaker's."""
    return syllable_curve(SECONDS, FPS, seed=11)


@pytest.fixture(scope="session")
def talking_face(clips, speaker_curve) -> Path:
    """One astronaut whose mouth follows her own (speech-like) audio."""
    faces = TalkingFaces(WIDTH, HEIGHT, [one_face_placement(WIDTH, HEIGHT, zoom=1.6)])
    return write_video(
        clips / "talking.mp4",
        talking_frames(faces, [speaker_curve]),
        FPS,
        speech_like_audio(speaker_curve, FPS),
    )


@pytest.fixture(scope="session")
def dub_wav(clips, dub_curve) -> Path:
    from polydub.media.audio import write_wav

    return write_wav(clips / "dub.wav", speech_like_audio(dub_curve, FPS, seed=9))


@pytest.fixture(scope="session")
def two_faces(clips, speaker_curve, dub_curve) -> Path:
    """Two astronauts: the left one speaks (her mouth follows the audio), the right one's mouth
    moves on its own."""
    placements = [FacePlacement(20, 70, 1.4), FacePlacement(WIDTH - 20 - 364, 70, 1.4)]
    faces = TalkingFaces(WIDTH, HEIGHT, placements)
    listener = syllable_curve(SECONDS, FPS, seed=29) * 0.7
    return write_video(
        clips / "two.mp4",
        talking_frames(faces, [speaker_curve, listener]),
        FPS,
        speech_like_audio(speaker_curve, FPS),
    )


@pytest.fixture(scope="session")
def no_face(clips, speaker_curve) -> Path:
    """The backdrop alone, with speech."""
    faces = TalkingFaces(WIDTH, HEIGHT, [])
    frames = (faces.base for _ in speaker_curve)
    return write_video(clips / "empty.mp4", frames, FPS, speech_like_audio(speaker_curve, FPS))
