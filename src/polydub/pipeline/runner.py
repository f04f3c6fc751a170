"""Runs stages in order through their checkpoints, reporting progress and honouring cancel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from polydub.errors import JobCancelled
from polydub.pipeline.checkpoint import StageOutcome, run_checkpointed

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
    """

    workspace: Path
    on_event: ProgressCallback = lambda event: None
    should_cancel: Callable[[], bool] = lambda: False
    outcomes: list[StageOutcome] = field(default_factory=list)

    def run(
        self,
        name: str,
        target: str | None,
        inputs: dict[str, Any],
        produce: Callable[[Path], A],
        model: type[A],
    ) -> tuple[A, str]:
        """Run (or reuse) one stage; returns its artifact and its checkpoint key."""
        if self.should_cancel():
            raise JobCancelled("the job was cancelled")
        self.on_event(StageEvent(stage=name, target=target, status="start"))
        artifact, outcome = run_checkpointed(
            self.stage_dir(name, target), name, {"v": PIPELINE_VERSION, **inputs}, produce, model
        )
        self.outcomes.append(outcome)
        self.on_event(
            StageEvent(
                stage=name,
                target=target,
                status="done",
                cached=outcome.cached,
                seconds=outcome.seconds,
                fraction=1.0,
            )
        )
        return artifact, outcome.key

    def stage_dir(self, name: str, target: str | None) -> Path:
        return self.target_dir(target) / name

    def target_dir(self, target: str | None) -> Path:
        return self.workspace / ("source" if target is None else f"targets/{target}")

    def progress(self, name: str, target: str | None) -> Callable[[float], None]:
        """A callback a stage calls with its fraction done."""
        return lambda fraction: self.on_event(
            StageEvent(stage=name, target=target, status="progress", fraction=fraction)
        )
