"""Video frames in and out, one at a time (PyAV), so long videos never sit in memory."""

from __future__ import annotations

import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

import av
import cv2
import numpy as np

from polydub.domain.audio import Audio
from polydub.media.audio import write_wav
from polydub.media.ffmpeg import run_ffmpeg

T = TypeVar("T")


@dataclass(frozen=True)
class VideoFrame:
    index: int
    time: float  # seconds from the start of the stream
    rgb: np.ndarray  # (height, width, 3) uint8


@dataclass(frozen=True)
class VideoFormat:
    width: int  # as displayed: after the stream's rotation
    height: int
    fps: float  # the constant frame rate read_frames delivers frames at
    frames: int  # 0 when the container does not say
    rotation: int = 0  # degrees counterclockwise the stored frames turn to display upright


def video_format(path: Path) -> VideoFormat:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rotation = _rotation(next(container.decode(stream), None))
        width, height = stream.width, stream.height
        if rotation % 180:
            width, height = height, width
        return VideoFormat(width, height, _grid_rate(stream), stream.frames or 0, rotation)


def _grid_rate(stream) -> float:
    """The frame rate of the grid frames are put on: the stream's nominal rate, which for
    variable-rate video (phones, screen recorders) is above its average; the average when the
    nominal one is implausible (a container's tick rate)."""
    average = float(stream.average_rate or 0)
    nominal = float(stream.guessed_rate or 0)
    if nominal and (not average or average <= nominal <= 2 * average):
        return nominal
    return average or nominal or 25.0


def _rotation(frame) -> int:
    """A multiple of 90 (a display matrix of any other angle is left unapplied)."""
    angle = int(round(getattr(frame, "rotation", 0) or 0)) if frame is not None else 0
    return angle % 360 if angle % 90 == 0 else 0


def read_frames(path: Path, threads: int = 0) -> Iterator[VideoFrame]:
    """Decode the first video stream as upright RGB frames, lazily, in presentation order, on
    a constant frame-rate grid (video_format's fps).

    Rotation metadata is applied, so faces stand upright and the frames written from these
    display as the source did. Variable-rate video is put on the grid: a frame is repeated
    over a gap and dropped when two fall into one slot, so frame i is shown at i / fps, as
    the timelines the frames are matched with (speech envelopes, mouth tracks) assume. For
    constant-rate video this is every frame as decoded.
    """
    fmt = video_format(path)
    turns = fmt.rotation // 90
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if threads:
            stream.codec_context.thread_count = threads
        start = None
        index = 0
        previous = None
        for decoded, frame in enumerate(container.decode(stream)):
            time = float(frame.time) if frame.time is not None else decoded / fmt.fps
            start = time if start is None else start
            slot = int(round((time - start) * fmt.fps))
            if slot < index:
                continue  # a second frame in a slot already shown
            rgb = frame.to_ndarray(format="rgb24")
            if turns:
                rgb = np.ascontiguousarray(np.rot90(rgb, turns))
            while previous is not None and index < slot:  # a gap: hold the last frame
                yield VideoFrame(index, start + index / fmt.fps, previous)
                index += 1
            yield VideoFrame(index, start + index / fmt.fps, rgb)
            previous = rgb
            index += 1


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def read_ahead(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """`items` (decoded frames) produced on a thread of their own, up to `depth` ahead: the
    decoder and the RGB conversion let go of the GIL, so they run on the other core while the
    caller works on the frame before. Errors are raised in the caller."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed to the caller, which raises it
            put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


class FrameWriter:
    """Encodes RGB frames to a video-only H.264 file (yuv420p) at a constant frame rate.

    4:2:0 needs even sizes: a frame with an odd width or height gets its last column or row
    repeated once (959x539 is written as 960x540), as players expect of H.264.
    """

    def __init__(
        self,
        path: Path,
        fps: float,
        *,
        crf: int = 18,
        preset: str = "veryfast",
        threads: int = 0,
        behind: int = 0,
    ) -> None:
        """`behind`: convert and encode on a thread of their own, up to this many frames
        behind the caller (the frames written must not change afterwards); 0: in `write`."""
        self.path = path
        self._container = av.open(str(path), "w")
        self._rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=self._rate)
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": preset}
        if threads:
            self._stream.codec_context.thread_count = threads
        self._opened = False
        self._pending: queue.Queue | None = queue.Queue(maxsize=behind) if behind else None
        self._encoder: threading.Thread | None = None
        self._failure: BaseException | None = None

    def write(self, rgb: np.ndarray) -> None:
        if self._pending is None:
            self._encode(rgb)
            return
        if self._failure is not None:
            raise self._failure
        if self._encoder is None:
            self._encoder = threading.Thread(
                target=self._encode_pending, name="frame-writer", daemon=True
            )
            self._encoder.start()
        self._pending.put(rgb)

    def _encode_pending(self) -> None:
        assert self._pending is not None
        while (rgb := self._pending.get()) is not None:
            if self._failure is None:  # after a failure, only drain (the caller raises it)
                try:
                    self._encode(rgb)
                except BaseException as exc:
                    self._failure = exc

    def _encode(self, rgb: np.ndarray) -> None:
        height, width = rgb.shape[:2]
        if height % 2 or width % 2:
            rgb = np.pad(rgb, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        if not self._opened:
            self._stream.height, self._stream.width = rgb.shape[:2]
            self._opened = True
        # OpenCV's conversion to 4:2:0 (the same BT.601 matrix) costs a third of the encoder's
        # own (1.1 against 3.2 ms a 720p frame): colours within a level on average.
        yuv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> None:
        if self._encoder is not None:
            self._pending.put(None)
            self._encoder.join()
            self._encoder = None
        try:
            if self._opened and self._failure is None:
                for packet in self._stream.encode():
                    self._container.mux(packet)
        finally:
            self._container.close()
        if self._failure is not None:
            raise self._failure

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
