"""`polydub bench`: each stage's time as a ratio to a plain ffmpeg re-encode, and peak memory.

Both are measured in the same run on the same generated clip, so the ratios hold across
machines even where absolute seconds do not.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from polydub.config import Settings
from polydub.domain.language import resolve_language
from polydub.media.ffmpeg import run_ffmpeg
from polydub.pipeline.dub import DubOptions, StageEvent, dub
from polydub.pipeline.engine_set import EngineSet
from polydub.samples import make_talking_clip


def _peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run_bench(settings: Settings, *, seconds: float, target: str, mode: str) -> int:
    console = Console()
    code = resolve_language(target).code
    with tempfile.TemporaryDirectory(prefix="polydub-bench-") as tmp:
        root = Path(tmp)
        clip = root / "clip.mp4"
        console.print(f"generating a {seconds:.0f}-second 720p clip ...")
        make_talking_clip(clip, seconds)

        started = time.perf_counter()
        run_ffmpeg(["-i", str(clip), "-c:v", "libx264", "-c:a", "aac", str(root / "re.mp4")])
        reencode = time.perf_counter() - started

        stage_seconds: dict[str, float] = defaultdict(float)
        starts: dict[str, float] = {}

        def record(event: StageEvent) -> None:
            if event.status == "start":
                starts[event.stage] = time.perf_counter()
            elif event.status == "done":
                stage_seconds[event.stage] += time.perf_counter() - starts[event.stage]

        engines = EngineSet(settings.model_copy(update={"data_dir": root / "data"}))
        started = time.perf_counter()
        (result,) = dub(
            clip,
            DubOptions(targets=(code,), mode=mode),
            engines,
            work_root=root / "work",
            output_stem=root / "out" / "clip",
            on_event=record,
        )
        total = time.perf_counter() - started

    table = Table(
        "stage", "seconds", "x re-encode", title=f"{seconds:.0f} s 720p clip, {mode} mode"
    )
    table.add_row("ffmpeg re-encode", f"{reencode:.2f}", "1.00")
    for stage, secs in stage_seconds.items():
        table.add_row(stage, f"{secs:.2f}", f"{secs / reencode:.2f}")
    table.add_row("[bold]pipeline total", f"{total:.2f}", f"[bold]{total / reencode:.2f}")
    console.print(table)
    own, children = _peak_rss_mb()
    timing = result.report["timing"]
    console.print(
        f"peak RSS: {own:.0f} MB (polydub), {children:.0f} MB (largest child process)\n"
        f"quality: WER {result.report['intelligibility']['wer'] * 100:.1f}%, rate p95 "
        f"{timing['rate_p95']:.2f}, drift p95 {timing['start_drift_p95'] * 1000:.0f} ms, "
        f"truncated {timing['truncated_segments']}, dropped {timing['dropped_segments']}"
    )
    return 0
