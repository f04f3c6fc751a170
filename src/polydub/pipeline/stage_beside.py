"""A whole stage run in a thread beside the stage the run goes on with: mix beside lipsync.

The lipsync stage needs the fitted lines, not the mix (it lays out the dub track it scores
against itself); the mix is about one core of ffmpeg work (ducking, loudness, the bed's warp)
that fits in the part of a core lipsync leaves idle, so it need not wait for it (issue 14).

The stage keeps its checkpoint, key, events and outcome: its start is told when it starts,
its end on the run's thread (StageRunner.finished_beside), so progress, benches and reports
see it as any other stage. Unlike the other background work (background_work.py), its
failure is the target's: `cancel_with_failure` stops the stage beside it at once and
`result()` raises it. A cancelled job stops it, and so does the end of the target's run,
whatever ends it (`stop`), its half-made output discarded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from polydub.cancellation import CancelCheck
from polydub.errors import JobCancelled
from polydub.pipeline.background_work import BackgroundWork
from polydub.pipeline.checkpoint import StageOutcome
from polydub.pipeline.runner import StageRunner

logger = logging.getLogger(__name__)

A = TypeVar("A", bound=BaseModel)


class StageBeside(BackgroundWork[tuple[A, StageOutcome]], Generic[A]):
    """One stage of `runner` (as `runner.run` takes it) in a daemon thread.

    Args:
        then: given, called in the stage's thread with its artifact and key as soon as it is
            done: work that needs only this stage starts there.
    """

    def __init__(
        self,
        runner: StageRunner,
        name: str,
        target: str | None,
        inputs: dict[str, Any],
        produce: Callable[[Path], A],
        model: type[A],
        *,
        then: Callable[[A, str], None] | None = None,
    ) -> None:
        super().__init__(name if target is None else f"{name} ({target})", runner.cancel, logger)
        self.runner, self.name, self.target = runner, name, target
        self.inputs, self.produce, self.model, self.then = inputs, produce, model, then

    def start(self) -> StageBeside[A]:
        """Tell the stage's start (a boundary: a cancelled job raises here) and run it in a
        daemon thread; returns self."""
        self.runner.begin(self.name, self.target)
        self._begin(self._stage)
        return self

    def _stage(self) -> tuple[A, StageOutcome]:
        artifact, outcome = self.runner.checkpointed(
            self.name, self.target, self.inputs, self.produce, self.model
        )
        self.runner.finished_beside(self.target, outcome)
        if self.then is not None:
            self.then(artifact, outcome.key)
        return artifact, outcome

    @property
    def failed(self) -> bool:
        return self.error is not None

    def cancel_with_failure(self, cancel: CancelCheck) -> CancelCheck:
        """`cancel`, and yes once this stage has failed: the check for the stage beside it,
        which stops rather than finishing work the failure has made useless."""
        return CancelCheck(lambda: self.failed or cancel.cancelled(), interval=0)

    def result(self) -> tuple[A, str]:
        """Block until the stage has ended (the caller's cancel is seen meanwhile), tell its
        end; its artifact and checkpoint key.

        Raises:
            the stage's own error, when it failed.
            JobCancelled: the job's cancel stopped it.
        """
        self._join()
        self.runner.tell_finished_beside()
        if self.error is not None:
            raise self.error
        if self._result is None:
            raise JobCancelled("the job was cancelled")
        artifact, outcome = self._result
        return artifact, outcome.key
