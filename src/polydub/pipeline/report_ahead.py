"""The report stage's measurements of one target, started in the background once mix is done.

What the report measures (the ASR round trip of the dub for WER, the timing figures, each
speaker's similarity) depends on the mix, the fitted plan and the script, never on the picture:
yet it waited for lipsync and render. Run beside the lipsync stage (which leaves part of a core
idle), it is done, or nearly, when the report stage starts, and that stage takes its result.

The report stage keeps its checkpoint and key: the measurement is started only where that stage
will run (a resumed run whose report is checkpointed starts nothing). A measurement that fails
is logged and the report stage measures inline, as it did before. A cancelled job stops it (it
sees the job's cancel check), and so does the end of the target's run, whatever ends it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from polydub.cancellation import CancelCheck, cancel_scope, raise_if_cancelled
from polydub.errors import JobCancelled
from polydub.pipeline.quality import QualityArtifact

logger = logging.getLogger(__name__)

_WAIT_POLL_S = 0.2  # how often the waiting report stage looks at its own cancel check


class QualityAhead:
    """One background run of `measure` (the report stage's work for one target).

    Args:
        measure: makes the target's QualityArtifact from its mix and plan.
        cancel: the job's cancel check; the measurement stops when it says so.
        target: the target language, for logs.
    """

    def __init__(
        self, measure: Callable[[], QualityArtifact], cancel: CancelCheck, target: str
    ) -> None:
        self.measure, self.target = measure, target
        self._stop = threading.Event()
        self._check = CancelCheck(lambda: self._stop.is_set() or cancel.cancelled(), interval=0)
        self._thread: threading.Thread | None = None
        self._result: QualityArtifact | None = None
        self.error: BaseException | None = None
        self.wall_seconds = 0.0  # the measurement's own, for benches and logs

    def start(self) -> QualityAhead:
        """Measure in a daemon thread (once); returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"report-ahead-{self.target}", daemon=True
            )
            self._thread.start()
        return self

    def result(self) -> QualityArtifact | None:
        """Block until the measurement has ended; its artifact, or None when it failed (logged:
        the report stage then measures inline). The caller's cancel is seen meanwhile."""
        thread, started = self._thread, time.perf_counter()
        while thread is not None and thread.is_alive():
            raise_if_cancelled()
            thread.join(_WAIT_POLL_S)
        raise_if_cancelled()  # a measurement stopped by the cancel is no result to go on with
        if thread is not None:
            logger.info(
                "waited %.1f s for the background report (%s)",
                time.perf_counter() - started,
                self.target,
            )
        if self.error is not None:
            logger.warning(
                "background report (%s) failed (%s): measuring inline", self.target, self.error
            )
        return self._result

    def stop(self) -> None:
        """Stop a measurement still running and wait for its thread: the target's run is over."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        started = time.perf_counter()
        with cancel_scope(self._check):
            try:
                self._result = self.measure()
            except JobCancelled:
                pass  # the job or the target's run ended: nobody takes the result
            except Exception as exc:  # noqa: BLE001 - reported by result(); the stage remeasures
                self.error = exc
        self.wall_seconds = time.perf_counter() - started
        logger.info("background report (%s): %.1f s wall", self.target, self.wall_seconds)
