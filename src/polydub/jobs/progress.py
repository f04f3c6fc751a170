"""A job's progress from the pipeline's stage events: finished stages over all stages."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update

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


def raise_progress(context, model: type, row_id: str, value: float) -> None:
    """Store `value` as the row's progress only if it is higher than what is stored.

    A resumed job replays its finished stages from checkpoints, counting from zero again; a
    client polling it must never see progress go back (it went 0.55 -> 0.45 -> 0.55).
    """
    with context.db.session() as session:
        session.execute(
            update(model).where(model.id == row_id, model.progress < value).values(progress=value)
        )
