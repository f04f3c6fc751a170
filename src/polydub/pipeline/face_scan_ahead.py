"""The lip-sync's face scan, started in the background right after ingest.

The scan needs the source's frames and nothing of the audio, yet it waited for separate ..
mix: run beside them, it is done (or nearly) when the lipsync stage starts, and that stage
takes it from the scan cache as it takes a scan of an earlier run (face_scan_cache.py). Every
target language of the run shares it: the first lipsync stage waits for it, the others find
it cached.

A scan that fails leaves no cache: the stage logs why and scans inline, as it did before. A
cancelled job stops it (it sees the job's cancel check), and so does the end of the run,
whatever ends it, so no scan outlives its dub.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from polydub.cancellation import CancelCheck, cancel_scope, raise_if_cancelled
from polydub.errors import JobCancelled
from polydub.pipeline.artifacts import IngestArtifact

logger = logging.getLogger(__name__)

_WAIT_POLL_S = 0.2  # how often a waiting stage looks at its own cancel check


class FaceScanAhead:
    """One background face scan of a run's source video, into `cache`.

    Args:
        cache: the run's face-scan cache (the directory the lipsync stage is given).
        mode: the lip-sync mode; its built-in renderer decides what the scan keeps.
        cancel: the job's cancel check; the scan stops when it says so.
    """

    def __init__(self, cache: Path, mode: str, cancel: CancelCheck) -> None:
        self.cache, self.mode = cache, mode
        self._stop = threading.Event()
        # Asked every frame: the stop flag is a plain read, the job's check is throttled.
        self._check = CancelCheck(lambda: self._stop.is_set() or cancel.cancelled(), interval=0)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.wall_seconds = self.cpu_seconds = 0.0  # the scan's own, for benches and logs

    def start(self, ingested: IngestArtifact) -> None:
        """Scan `ingested`'s video in a daemon thread (once; nothing for a video-less source)."""
        if self._thread is not None or ingested.info.video is None:
            return
        self._thread = threading.Thread(
            target=self._run, args=(ingested.source,), name="face-scan-ahead", daemon=True
        )
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the scan is under way (started, not yet ended)."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> None:
        """Block until the scan has ended (made, found cached, failed or stopped); the caller's
        cancel is seen meanwhile. A failure is logged, not raised: the stage scans inline."""
        thread, started = self._thread, time.perf_counter()
        while thread is not None and thread.is_alive():
            raise_if_cancelled()
            thread.join(_WAIT_POLL_S)
        raise_if_cancelled()  # a scan stopped by the cancel is no scan to go on with
        if thread is not None:
            logger.info("waited %.1f s for the background face scan", time.perf_counter() - started)
        if self.error is not None:
            logger.warning("background face scan failed (%s): scanning inline", self.error)

    def stop(self) -> None:
        """Stop a scan still running and wait for its thread: the run is over."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self, video: Path) -> None:
        from polydub.engines.face.store import LandmarkStore
        from polydub.pipeline.face_scan_cache import load_scan, save_scan
        from polydub.pipeline.lipsync import make_renderer, scan_faces

        started, cpu0 = time.perf_counter(), time.thread_time()
        with cancel_scope(self._check):
            try:
                renderer = make_renderer(self.mode)
                if load_scan(self.cache, renderer) is None:
                    self.cache.mkdir(parents=True, exist_ok=True)
                    store = LandmarkStore(self.cache)
                    try:
                        openings = scan_faces(video, store, renderer)
                        save_scan(self.cache, store, openings, renderer)
                    finally:
                        store.close()
            except JobCancelled:
                pass  # the job or the run ended: whoever needs a scan makes one
            except Exception as exc:  # noqa: BLE001 - reported by wait(); the stage rescans
                self.error = exc
        self.wall_seconds = time.perf_counter() - started
        self.cpu_seconds = time.thread_time() - cpu0
        logger.info(
            "background face scan: %.1f s wall, %.1f s CPU (its own thread)",
            self.wall_seconds,
            self.cpu_seconds,
        )
