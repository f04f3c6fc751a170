"""A job's progress from the pipeline's stage events: finished stages over all stages."""

from __future__ import annotations

from collections.abc import Callable

from polydub.pipeline.dub import StageEvent


class StageProgress:
    """Calls `write` with the fraction done (0 to 0.99: 1.0 is for when the outputs are stored)
    whenever it moved by at least 1%, so a long stage's progress events cost few writes."""

    def __init__(self, total_stages: int, write: Callable[[float], None]) -> None:
        self.total, self.write = total_stages, write
        self.done = 0
        self.written = -1.0

    def __call__(self, event: StageEvent) -> None:
        if event.status == "done":
            self.done += 1
            value = self.done / self.total
        elif event.status == "progress":
            value = (self.done + min(event.fraction, 1.0)) / self.total
        else:
            return
        value = min(value, 0.99)
        if value - self.written >= 0.01:
            self.written = value
            self.write(round(value, 4))
