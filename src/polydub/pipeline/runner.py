"""Runs stages in order through their checkpoints, reporting progress and honouring cancel."""

from __future__ import annotations

import shutil
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from polydub.cancellation import CancelCheck, cancel_scope
from polydub.errors import JobCancelled
from polydub.pipeline.checkpoint import (
    StageOutcome,
    is_checkpointed,
    run_checkpointed,
    stage_key,
)

if TYPE_CHECKING:
    from polydub.pipeline.face_scan_ahead import FaceScanAhead

A = TypeVar("A", bound=BaseModel)

# Bump when a stage's code changes what it produces, so old checkpoints are not reused.
PIPELINE_VERSION = 1


class StageEvent(BaseModel):
    stage: str
    target: str | None
    status: str  # "start" | "progress" | "done"
    cached: bool = False
    seconds: float = 0.0
    fraction: float = 0.0


ProgressCallback = Callable[[StageEvent], None]


@dataclass
class StageRunner:
    """Shared state of one pipeline run: where it works, whom it tells, when it stops.

    Source-side stages live in `<workspace>/source/<stage>`, a target's in
    `<workspace>/targets/<lang>/<stage>`.

    Cancel is seen at every stage boundary and, through `cancel` (a throttled view of
    `should_cancel`, put in scope while a stage runs), inside the stages' own loops: see
    polydub.cancellation. Work done between stages (voice matching) sees it inside
    `with runner.cancellable():`.

    `face_scan`, when set, is the run's background face scan: ingest starts it, the lipsync
    stage waits for it (pipeline/face_scan_ahead.py). `stop_after`: dub()'s, the stage after
    which each target's run ends; no stage past it is started beside another.

    A stage may run in another thread beside the run's own (pipeline/stage_beside.py: mix
    beside lipsync). `on_event` is still called from the run's thread alone (a progress bar, a
    database write, a stop after a stage): that stage's end is queued (`finished_beside`) and
    told, and its outcome recorded, at the run's next event or `tell_finished_beside()`.
    """

    workspace: Path
    on_event: ProgressCallback = lambda event: None
    should_cancel: Callable[[], bool] = lambda: False
    outcomes: list[StageOutcome] = field(default_factory=list)
    face_scan: FaceScanAhead | None = None
    stop_after: str | None = None
    cancel: CancelCheck = field(init=False, repr=False)
    # (target, outcome) of stages finished in another thread, not yet told; deque: thread-safe.
    _beside: deque[tuple[str | None, StageOutcome]] = field(
        init=False, repr=False, default_factory=deque
    )

    def __post_init__(self) -> None:
        self.cancel = CancelCheck(self.should_cancel)

    @contextmanager
    def cancellable(self) -> Iterator[StageRunner]:
        """Make this run's cancel check the one `raise_if_cancelled()` sees, until the end."""
        with cancel_scope(self.cancel):
            yield self

    def run(
        self,
        name: str,
        target: str | None,
        inputs: dict[str, Any],
        produce: Callable[[Path], A],
        model: type[A],
        *,
        cancel: CancelCheck | None = None,
    ) -> tuple[A, str]:
        """Run (or reuse) one stage; returns its artifact and its checkpoint key. `cancel`: the
        check its work sees (default: the run's; a stage beside another also stops when that
        one fails)."""
        self.begin(name, target)
        with cancel_scope(cancel or self.cancel):
            artifact, outcome = self.checkpointed(name, target, inputs, produce, model)
        self.finish(target, outcome)
        return artifact, outcome.key

    def begin(self, name: str, target: str | None) -> None:
        """A stage's boundary: the job's cancel is asked now (not throttled), then its start
        is told."""
        self.cancel.raise_if_cancelled(fresh=True)
        self._tell(StageEvent(stage=name, target=target, status="start"))

    def checkpointed(
        self,
        name: str,
        target: str | None,
        inputs: dict[str, Any],
        produce: Callable[[Path], A],
        model: type[A],
    ) -> tuple[A, StageOutcome]:
        """A stage's work between `begin` and `finish`: its checkpoint, or `produce` under the
        cancel check in scope (a cancelled run leaves nothing half-made). Any thread."""
        return run_checkpointed(
            self.stage_dir(name, target),
            name,
            _versioned(inputs),
            _discarding_on_cancel(produce),
            model,
        )

    def finish(self, target: str | None, outcome: StageOutcome) -> None:
        """Record a stage's outcome and tell its end (on the run's thread)."""
        self.tell_finished_beside()  # what ended earlier is told first: the order they ended
        self.outcomes.append(outcome)
        self.on_event(
            StageEvent(
                stage=outcome.name,
                target=target,
                status="done",
                cached=outcome.cached,
                seconds=outcome.seconds,
                fraction=1.0,
            )
        )

    def finished_beside(self, target: str | None, outcome: StageOutcome) -> None:
        """A stage's end, from the thread it ran in beside the run's: queued, to be told on the
        run's thread."""
        self._beside.append((target, outcome))

    def tell_finished_beside(self) -> None:
        """Record and tell the stages that finished beside the run's own since the last event."""
        while True:
            try:
                target, outcome = self._beside.popleft()
            except IndexError:
                return
            self.finish(target, outcome)

    def _tell(self, event: StageEvent) -> None:
        self.tell_finished_beside()
        self.on_event(event)

    def key(self, name: str, inputs: dict[str, Any]) -> str:
        """The key `run` will return for stage `name` given `inputs`, before it runs: what a
        later stage's inputs can be worked out from ahead of time."""
        return stage_key(name, _versioned(inputs))

    def reuses(self, name: str, target: str | None, inputs: dict[str, Any], model: type) -> bool:
        """Whether `run` would take stage `name`'s output from its checkpoint (not run it)."""
        return is_checkpointed(self.stage_dir(name, target), name, _versioned(inputs), model)

    def stage_dir(self, name: str, target: str | None) -> Path:
        return self.target_dir(target) / name

    def target_dir(self, target: str | None) -> Path:
        return self.workspace / ("source" if target is None else f"targets/{target}")

    @property
    def face_scans(self) -> Path:
        """The face scans of this workspace's video: they depend on the source alone, so every
        target shares them (on this machine: scans are large and quick to redo, so they stay
        out of the blob store)."""
        return self.workspace / "face-scans"

    def progress(self, name: str, target: str | None) -> Callable[[float], None]:
        """A callback a stage calls with its fraction done."""
        return lambda fraction: self._tell(
            StageEvent(stage=name, target=target, status="progress", fraction=fraction)
        )


def _versioned(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"v": PIPELINE_VERSION, **inputs}


def _discarding_on_cancel(produce: Callable[[Path], A]) -> Callable[[Path], A]:
    """`produce`, but a cancelled run empties its stage directory before JobCancelled goes on.

    It runs inside the checkpoint's lock and before any `done.json`, so nothing half-made
    stays to be taken for a finished stage (or to fill the disk until the stage reruns).
    """

    def run(stage_dir: Path) -> A:
        try:
            return produce(stage_dir)
        except JobCancelled:
            shutil.rmtree(stage_dir, ignore_errors=True)
            raise

    return run
