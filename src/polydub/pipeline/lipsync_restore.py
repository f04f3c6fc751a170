"""Put the source's frames back for the lines whose redraw was rejected.

The render pass writes every redrawn frame; when the per-line check then rejects some lines,
this pass copies the written video, replacing those lines' frames with the source's own. It
runs only when a line was rejected, so a clean run pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from polydub.media.frames import FrameWriter, VideoFrame, read_frames


def _source_frames(video: Path) -> Iterator[VideoFrame]:
    yield from read_frames(video)


def restore_frames(
    source: Path, edited: Path, output_sources: list[int], restore: np.ndarray, fps: float
) -> int:
    """Rewrite `edited` in place: output frame j becomes source frame output_sources[j] where
    `restore` (per source frame) is set. Returns the number of frames restored."""
    tmp = edited.with_name(edited.stem + ".restored" + edited.suffix)
    frames = _source_frames(source)
    current = next(frames, None)
    restored = 0
    with FrameWriter(tmp, fps) as writer:
        for j, frame in enumerate(read_frames(edited)):
            if j >= len(output_sources):
                writer.write(frame.rgb)
                continue
            wanted = output_sources[j]
            if not restore[wanted]:
                writer.write(frame.rgb)
                continue
            # Source indices only grow along the output: advance to the one wanted.
            while current is not None and current.index < wanted:
                current = next(frames, None)
            if current is None or current.index != wanted:
                writer.write(frame.rgb)
                continue
            writer.write(current.rgb)
            restored += 1
    tmp.replace(edited)
    return restored
