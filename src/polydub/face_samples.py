"""Generated talking faces for tests and benchmarks: scikit-image's astronaut photo (it ships in
the wheel) with a mouth that opens and closes on a given curve, and speech-like audio whose
loudness follows the same curve. Deterministic; no downloads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from polydub.domain.audio import Audio

# The astronaut's face in skimage.data.astronaut() (512x512): the crop we paste and, inside
# that crop, the middle of her mouth, its half-width and the chin (measured with FaceMesh).
_CROP = (40, 300, 95, 355)  # y0, y1, x0, x1
FACE_SIDE = _CROP[1] - _CROP[0]  # the crop is square, 260 px
_MOUTH = (128.2, 106.7)  # x, y in the crop
_MOUTH_HALF_WIDTH = 22.0
_CHIN_Y = 137.0
CAVITY_RGB = (70, 24, 30)


@dataclass(frozen=True)
class FacePlacement:
    """Where one astronaut face goes on the canvas: top-left corner and zoom."""

    x: int
    y: int
    zoom: float = 2.0


class TalkingFaces:
    """Draws frames with one or more astronaut faces whose mouths open by given amounts."""

    def __init__(self, width: int, height: int, placements: Sequence[FacePlacement]) -> None:
        from skimage import data

        self.width, self.height = width, height
        y0, y1, x0, x1 = _CROP
        face = data.astronaut()[y0:y1, x0:x1]
        canvas = np.empty((height, width, 3), np.uint8)
        # A soft vertical gradient backdrop, so there is texture but no second face.
        canvas[:] = np.linspace(60, 120, height, dtype=np.float32)[:, None, None].astype(np.uint8)
        self.faces = []
        for place in placements:
            scaled = cv2.resize(
                face, None, fx=place.zoom, fy=place.zoom, interpolation=cv2.INTER_CUBIC
            )
            h, w = scaled.shape[:2]
            canvas[place.y : place.y + h, place.x : place.x + w] = scaled
            self.faces.append((place, h, w))
        self.base = canvas

    def frame(self, openings: Sequence[float]) -> np.ndarray:
        """A frame where face i's mouth is open by openings[i] (0 closed .. 1 wide)."""
        out = self.base.copy()
        for (place, h, w), opening in zip(self.faces, openings, strict=True):
            if opening > 1e-3:
                box = out[place.y : place.y + h, place.x : place.x + w]
                box[:] = _open_mouth(
                    self.base[place.y : place.y + h, place.x : place.x + w],
                    place.zoom,
                    float(opening),
                )
        return out


def _open_mouth(face: np.ndarray, zoom: float, opening: float) -> np.ndarray:
    """Drop the lower lip and jaw by up to ~0.3 face scales and paint the mouth cavity."""
    h, w = face.shape[:2]
    cx, cy = _MOUTH[0] * zoom, _MOUTH[1] * zoom
    half = _MOUTH_HALF_WIDTH * zoom
    chin = _CHIN_Y * zoom
    drop = opening * 16.0 * zoom
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    across = np.exp(-(((xs - cx) / (half * 1.6)) ** 2))
    below = np.clip((ys - cy) / 4.0, 0, 1) * np.clip(1 - (ys - chin) / (40 * zoom), 0, 1)
    shift = drop * across * below
    moved = cv2.remap(face, xs, ys - shift, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # The cavity: a lens between the still upper lip and the dropped lower lip.
    lens = np.clip(1 - ((xs - cx) / (half * 0.85)) ** 2, 0, 1)
    top, bottom = cy, cy + drop * lens
    inside = np.clip(np.minimum(ys - top, bottom - ys) / 1.5, 0, 1) * (lens > 0)
    cavity = np.array(CAVITY_RGB, np.float32)
    # Upper teeth: a light band under the upper lip.
    teeth = (ys - top < drop * 0.22) & (inside > 0)
    colour = np.where(teeth[..., None], np.array((215, 205, 195), np.float32), cavity)
    alpha = inside[..., None]
    return (moved * (1 - alpha) + colour * alpha).astype(np.uint8)


def syllable_curve(seconds: float, fps: float, seed: int = 3) -> np.ndarray:
    """A mouth-opening curve per frame that looks like speech: syllables at 3-6 Hz in phrases
    separated by pauses, values in [0, 1]."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fps))
    t = np.arange(n) / fps
    curve = np.zeros(n)
    start = 0.3
    while start < seconds - 0.3:
        phrase = rng.uniform(1.0, 2.2)
        s = start
        while s < min(start + phrase, seconds - 0.2):
            length = rng.uniform(0.16, 0.32)
            peak = rng.uniform(0.35, 1.0)
            inside = (t >= s) & (t < s + length)
            syllable = peak * np.sin(np.pi * (t[inside] - s) / length)
            curve[inside] = np.maximum(curve[inside], syllable)
            s += length + rng.uniform(0.0, 0.06)
        start += phrase + rng.uniform(0.3, 0.7)
    return np.clip(curve, 0, 1)


def speech_like_audio(
    curve: np.ndarray, fps: float, sample_rate: int = 16000, seed: int = 5
) -> Audio:
    """A voiced buzz (a 120 Hz pulse train through formant-like resonances) whose loudness
    follows `curve`, frame by frame: speech's envelope without needing a voice."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(round(len(curve) / fps * sample_rate))
    t = np.arange(n) / sample_rate
    pitch = 120 + 15 * np.sin(2 * np.pi * 0.7 * t)
    phase = np.cumsum(pitch / sample_rate)
    buzz = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
    buzz += rng.normal(0, 0.02, n)
    for freq, bw in ((700, 120), (1200, 150), (2600, 250)):
        r = np.exp(-np.pi * bw / sample_rate)
        theta = 2 * np.pi * freq / sample_rate
        buzz = lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], buzz)
    envelope = np.interp(t, np.arange(len(curve)) / fps + 0.5 / fps, curve)
    signal = buzz * envelope
    signal /= np.abs(signal).max() + 1e-9
    return Audio((signal * 0.6).astype(np.float32), sample_rate)


def talking_frames(faces: TalkingFaces, curves: Sequence[np.ndarray]) -> Iterator[np.ndarray]:
    """One frame per curve sample; face i follows curves[i]."""
    for values in zip(*curves, strict=True):
        yield faces.frame(values)


def write_video(path: Path, frames: Iterator[np.ndarray], fps: float, audio: Audio | None) -> Path:
    """Encode RGB frames as H.264 (and `audio` as AAC) into an MP4."""
    from polydub.media.frames import FrameWriter, mux_audio

    path.parent.mkdir(parents=True, exist_ok=True)
    silent = path.with_suffix(".video.mp4") if audio is not None else path
    with FrameWriter(silent, fps) as writer:
        for frame in frames:
            writer.write(frame)
    if audio is not None:
        mux_audio(silent, audio, path)
        silent.unlink()
    return path


def make_talking_face_clip(
    path: Path,
    seconds: float = 4.0,
    *,
    fps: float = 25.0,
    width: int = 1280,
    height: int = 720,
    seed: int = 3,
) -> np.ndarray:
    """A clip of one talking astronaut with speech-like audio in sync; returns the curve."""
    curve = syllable_curve(seconds, fps, seed)
    faces = TalkingFaces(width, height, [one_face_placement(width, height)])
    write_video(path, talking_frames(faces, [curve]), fps, speech_like_audio(curve, fps))
    return curve


def fitting_zoom(width: int, height: int, zoom: float, margin: float = 0.9) -> float:
    """`zoom`, or less where the scaled face would not fit in `margin` of the frame (at 2x the
    face is 520 px square: too tall for 360p or 240p)."""
    return min(zoom, margin * min(width, height) / FACE_SIDE)


def one_face_placement(width: int, height: int, zoom: float = 2.0) -> FacePlacement:
    y0, y1, x0, x1 = _CROP
    return FacePlacement(
        int((width - (x1 - x0) * zoom) / 2), int((height - (y1 - y0) * zoom) / 2), zoom
    )
