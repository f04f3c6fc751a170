"""Cancel latency bench: how long each stage keeps running after its job is cancelled.

    .venv/bin/python bench/cancel_latency.py [--seconds 20] [--delay 0.5] [--no-matching]

Dubs a generated talking clip (speech over music, 720p) into Spanish with the real engines,
once per stage: `--delay` seconds after the stage starts, the job's should_cancel turns true
(as a DELETE makes it), and the time until dub() raises JobCancelled is printed, with the
stage that was running. Stages before the cancelled one come from the previous run's
checkpoints, so the whole bench costs about one dub plus the cancelled parts. "voices"
(voice matching) runs between translate and synthesize, so it is cancelled `--delay` after
translate is done; voices tuned once are kept in the shared model cache, so a second bench
run finds them and measures nothing there. The clip has no face: lipsync's cost here is its
scan of every frame.

The stage's own length (from the next run, which finishes it) is printed too: before issue
16, a cancel waited for the end of the stage, i.e. that length less the delay.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path


class DelayedCancel:
    """should_cancel for dub(): true from `delay` seconds after the trigger event on."""

    def __init__(self, trigger, delay: float) -> None:
        self.trigger = trigger
        self.delay = delay
        self.cancelled_at: float | None = None
        self.running: str | None = None  # the stage last started and not yet done
        self.seconds: dict[str, float] = {}  # stages finished (not from checkpoints)
        self._timer: threading.Timer | None = None
        self._translated_at: float | None = None

    def on_event(self, event) -> None:
        now = time.perf_counter()
        if event.status == "start":
            self.running = event.stage
            if event.stage == "synthesize" and self._translated_at is not None:
                self.seconds["voices"] = now - self._translated_at  # voice matching
        elif event.status == "done":
            self.running = None
            if not event.cached:
                self.seconds[event.stage] = event.seconds
            if event.stage == "translate":
                self._translated_at = now
        if self._timer is None and self.trigger(event):
            self._timer = threading.Timer(self.delay, self._cancel)
            self._timer.start()

    def _cancel(self) -> None:
        self.cancelled_at = time.perf_counter()

    def __call__(self) -> bool:
        return self.cancelled_at is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the clip")
    parser.add_argument("--delay", type=float, default=0.5, help="cancel this long into a stage")
    parser.add_argument("--no-matching", action="store_true", help="stock voices, no matching")
    args = parser.parse_args()
    if args.no_matching:
        os.environ["POLYDUB_VOICE_MATCHING"] = "false"

    from polydub.config import Settings
    from polydub.errors import JobCancelled
    from polydub.pipeline.dub import SOURCE_STAGES, TARGET_STAGES, DubOptions, dub
    from polydub.pipeline.engine_set import EngineSet
    from polydub.samples import make_talking_clip

    root = Path(tempfile.mkdtemp(prefix="cancel-bench-"))
    settings = Settings(data_dir=root / "data")
    engines = EngineSet(settings)
    clip = root / "talk.mp4"
    make_talking_clip(clip, args.seconds)
    options = DubOptions(targets=("es",), source_language="en")

    phases = [*SOURCE_STAGES[1:], "translate", "voices", *TARGET_STAGES[1:]]
    if args.no_matching:
        phases.remove("voices")
    rows = []
    for phase in [*phases, "none"]:  # the last run finishes the last phase, for its length
        if phase == "none":
            trigger = lambda e: False  # noqa: E731
        elif phase == "voices":
            trigger = lambda e: e.stage == "translate" and e.status == "done"  # noqa: E731
        else:
            trigger = lambda e, p=phase: e.stage == p and e.status == "start"  # noqa: E731
        job = DelayedCancel(trigger, args.delay)
        started = time.perf_counter()
        try:
            dub(
                clip,
                options,
                engines,
                work_root=root / "work",
                output_stem=root / "out" / "talk",
                on_event=job.on_event,
                should_cancel=job,
            )
            stopped, outcome = time.perf_counter(), "finished (no cancel)"
        except JobCancelled:
            stopped, outcome = time.perf_counter(), f"stopped in {job.running or 'between stages'}"
        latency = stopped - job.cancelled_at if job.cancelled_at else float("nan")
        rows.append((phase, latency, outcome, job.seconds, stopped - started))
        print(f"{phase:11s} cancel -> stop {latency:6.2f} s  {outcome}", flush=True)

    print("\nphase       stage alone  cancel->stop  where")
    for k, (phase, latency, outcome, _, _) in enumerate(rows[:-1]):
        # How long the phase takes uncancelled: measured by the next run, which finishes it.
        alone = rows[k + 1][3].get(phase)
        alone_s = f"{alone:9.1f} s" if alone is not None else "        - "
        print(f"{phase:11s} {alone_s}  {latency:9.2f} s  {outcome}")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
