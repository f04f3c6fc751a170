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
from collections.abc import Callable

from polydub.cancellation import CancelCheck
from polydub.pipeline.background_work import BackgroundWork
from polydub.pipeline.quality import QualityArtifact

logger = logging.getLogger(__name__)


class QualityAhead(BackgroundWork[QualityArtifact]):
    """One background run of `measure` (the report stage's work for one target).

    Args:
        measure: makes the target's QualityArtifact from its mix and plan.
        cancel: the job's cancel check; the measurement stops when it says so.
        target: the target language, for logs.
    """

    def __init__(
        self, measure: Callable[[], QualityArtifact], cancel: CancelCheck, target: str
    ) -> None:
        super().__init__(f"report ({target})", cancel, logger)
        self.measure, self.target = measure, target

    def start(self) -> QualityAhead:
        """Measure in a daemon thread (once); returns self."""
        self._begin(self.measure)
        return self

    def result(self) -> QualityArtifact | None:
        """Block until the measurement has ended; its artifact, or None when it failed (logged:
        the report stage then measures inline). The caller's cancel is seen meanwhile."""
        return self._wait()
