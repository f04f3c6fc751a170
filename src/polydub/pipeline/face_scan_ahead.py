"""The lip-sync's face scan, started in the background right after ingest.

The scan needs the source's frames and nothing of the audio, yet it waited for separate ..
fit: run beside them, it is done (or nearly) when the lipsync stage starts, and that stage
takes it from the scan cache as it takes a scan of an earlier run (face_scan_cache.py). Every
target language of the run shares it: the first lipsync stage waits for it, the others find
it cached.

A scan that fails leaves no cache: the stage logs why and scans inline, as it did before. A
cancelled job stops it (it sees the job's cancel check), and so does the end of the run,
whatever ends it, so no scan outlives its dub.
"""

from __future__ import annotations

import logging
from pathlib import Path

from polydub.cancellation import CancelCheck
from polydub.pipeline.artifacts import IngestArtifact
from polydub.pipeline.background_work import BackgroundWork

logger = logging.getLogger(__name__)


class FaceScanAhead(BackgroundWork[None]):
    """One background face scan of a run's source video, into `cache`.

    Args:
        cache: the run's face-scan cache (the directory the lipsync stage is given).
        mode: the lip-sync mode; its built-in renderer decides what the scan keeps.
        cancel: the job's cancel check; the scan stops when it says so.
    """

    def __init__(self, cache: Path, mode: str, cancel: CancelCheck) -> None:
        super().__init__("face scan", cancel, logger)
        self.cache, self.mode = cache, mode

    def start(self, ingested: IngestArtifact) -> None:
        """Scan `ingested`'s video in a daemon thread (once; nothing for a video-less source)."""
        if ingested.info.video is not None:
            self._begin(lambda: self._scan(ingested.source))

    def wait(self) -> None:
        """Block until the scan has ended (made, found cached, failed or stopped); the caller's
        cancel is seen meanwhile. A failure is logged, not raised: the stage scans inline."""
        self._wait()

    def _scan(self, video: Path) -> None:
        from polydub.engines.face.store import LandmarkStore
        from polydub.pipeline.face_scan_cache import load_scan, save_scan
        from polydub.pipeline.lipsync import make_renderer, scan_faces

        renderer = make_renderer(self.mode)
        if load_scan(self.cache, renderer) is not None:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        store = LandmarkStore(self.cache)
        try:
            openings = scan_faces(video, store, renderer)
            save_scan(self.cache, store, openings, renderer)
        finally:
            store.close()
