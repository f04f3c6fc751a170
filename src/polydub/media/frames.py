"""Video frames in and out, one at a time (PyAV), so long videos never sit in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from polydub.domain.audio import Audio
from polydub.media.audio import write_wav
from polydub.media.ffmpeg import run_ffmpeg


@dataclass(frozen=True)
class VideoFrame:
    index: int
    time: float  # seconds from the start of the stream
    rgb: np.ndarray  # (height, width, 3) uint8


@dataclass(frozen=True)
class VideoFormat:
    width: int
    height: int
    fps: float
    frames: int  # 0 when the container does not say


def video_format(path: Path) -> VideoFormat:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoFormat(stream.width, stream.height, float(rate), stream.frames or 0)


def read_frames(path: Path, threads: int = 0) -> Iterator[VideoFrame]:
    """Decode the first video stream as RGB frames, lazily, in presentation order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if threads:
            stream.codec_context.thread_count = threads
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        for index, frame in enumerate(container.decode(stream)):
            time = float(frame.time) if frame.time is not None else index / fps
            yield VideoFrame(index, time, frame.to_ndarray(format="rgb24"))


class FrameWriter:
    """Encodes RGB frames to a video-only H.264 file at a constant frame rate."""

    def __init__(
        self, path: Path, fps: float, *, crf: int = 18, preset: str = "veryfast", threads: int = 0
    ) -> None:
        self.path = path
        self._container = av.open(str(path), "w")
        self._rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=self._rate)
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": preset}
        if threads:
            self._stream.codec_context.thread_count = threads
        self._opened = False

    def write(self, rgb: np.ndarray) -> None:
        if not self._opened:
            self._stream.height, self._stream.width = rgb.shape[:2]
            self._opened = True
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        if self._opened:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def mux_audio(video: Path, audio: Audio | Path, out: Path) -> Path:
    """Copy `video`'s picture and add `audio` (AAC)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = audio if isinstance(audio, Path) else write_wav(Path(tmp) / "a.wav", audio)
        run_ffmpeg(
            [
                "-i",
                str(video),
                "-i",
                str(wav),
                "-map",
                "0:v:0",
                "-map",
                "1:a:0",
                "-c:v",
                "copy",
                "-c:a",
                "aac",
                "-b:a",
                "160k",
                "-movflags",
                "+faststart",
                str(out),
            ]
        )
    return out
