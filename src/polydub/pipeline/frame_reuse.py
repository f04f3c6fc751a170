"""Keeping a previous lip-sync output's frames in a partial re-dub (pipeline/partial_redub.py).

A source frame is written once on the source timeline, or over several output frames where the
plan slows the video. A source frame outside the ranges to redraw whose output frames are as
many as in the previous output shows what it showed then (the lines around it are unchanged,
and moved along with the video if a slow-down before them changed): those frames are copied
from the previous output, found by the previous plan's output slots.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polydub.media.frames import read_frames


@dataclass(frozen=True)
class FrameReuse:
    video: Path  # the previous output
    redraw: list[tuple[float, float]]  # source seconds whose frames are drawn again
    # The previous output's slow-downs when it was written on the output timeline (a TimeWarp:
    # pipeline/lipsync.py's output_slots finds its frames); None: on the source timeline.
    warp: object | None = None

    def keeps(self, time: float) -> bool:
        return not any(start <= time < end for start, end in self.redraw)


class PreviousFrames:
    """The previous output's frames by index, read forwards once; `slots` maps a source frame
    to the previous output's frames (None: one each, the source timeline)."""

    def __init__(self, reuse: FrameReuse, slots: dict[int, list[int]] | None) -> None:
        self.reuse = reuse
        self.slots = slots
        self._frames: Iterator = read_frames(reuse.video)
        self._next = 0
        self.copied = 0

    def take(self, source_index: int, time: float, wanted: int) -> list[np.ndarray] | None:
        """The previous frames of source frame `source_index`, when it is kept and filled as
        many output frames then as `wanted` now; None to draw it again."""
        indexes = [source_index] if self.slots is None else self.slots.get(source_index, [])
        if not self.reuse.keeps(time) or len(indexes) != wanted or not indexes:
            return None
        out = []
        for index in indexes:
            rgb = self._seek(index)
            if rgb is None:
                return None
            out.append(rgb)
        self.copied += len(out)
        return out

    def _seek(self, index: int) -> np.ndarray | None:
        if index < self._next - 1:
            return None  # behind: frames are read forwards only
        rgb = getattr(self, "_last", None) if index == self._next - 1 else None
        while self._next <= index:
            frame = next(self._frames, None)
            if frame is None:
                return None
            self._next += 1
            rgb = self._last = frame.rgb
        return rgb

    def close(self) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()
