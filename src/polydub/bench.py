"""`polydub bench`: a whole dub of a generated talking face, stage by stage, against a floor.

The floor is a plain re-encode of the same clip with the encoder settings the pipeline's render
uses (x264 veryfast, AAC), measured in the same run, so the ratios hold across machines even
where absolute seconds do not. Every stage the pipeline reports gets wall and CPU seconds; peak
memory is the whole process tree's (ffmpeg and other children included). By default caches are
cold: a new speaker, no tuned voice, no face scan (only assembled model files are reused).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from polydub.bench_probes import (
    StageClock,
    StageTime,
    TreeSampler,
    busy_processes,
    cpu_seconds,
    drift_warning,
    load_warning,
)
from polydub.config import Settings
from polydub.domain.language import resolve_language
from polydub.media.encode import audio_args, video_args
from polydub.media.ffmpeg import run_ffmpeg
from polydub.media.probe import probe
from polydub.pipeline import engine_warmup, face_scan_ahead, report_ahead, stage_beside
from polydub.pipeline.dub import DubOptions, dub
from polydub.pipeline.engine_set import EngineSet

# The clip lengths the issue tracks; any length works, these are the comparable ones.
SIZES = (20.0, 60.0, 180.0)
FPS = 25.0


@dataclass(frozen=True)
class Floor:
    """The plain re-encode the pipeline is compared with."""

    command: str
    wall: float
    cpu: float


def encode_floor(clip: Path, out: Path) -> Floor:
    """Re-encode `clip` as the render stage encodes a dub (same codecs, preset and rates)."""
    info = probe(clip)
    args = [
        "-i",
        str(clip),
        *video_args(info, keep_format=False, reencode=True),
        *audio_args(info, keep_format=False),
        str(out),
    ]
    cpu0, started = cpu_seconds(), time.perf_counter()
    run_ffmpeg(args)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
    shown = " ".join("clip" if a == str(clip) else a for a in args[:-1])
    return Floor(f"ffmpeg {shown} out.mp4", wall, cpu)


def bench_clip(seconds: float, cache_dir: Path) -> Path:
    """The 720p talking face reading the sample script, made once per length and reused: it is
    the input, not part of what is measured."""
    from polydub.samples import make_speaking_face_clip

    path = cache_dir / "bench-clips" / f"face-{seconds:g}s-720p.mp4"
    if not path.exists():
        tmp = path.with_suffix(".partial.mp4")
        make_speaking_face_clip(tmp, seconds, fps=FPS)
        os.replace(tmp, path)
    return path


def cold_settings(settings: Settings, root: Path) -> Settings:
    """Settings whose caches start empty except for the assembled model files (a link to the
    real models directory): no tuned voice or voice bank of an earlier run is found."""
    cache = root / "cache"
    cache.mkdir(parents=True)
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    (cache / "models").symlink_to(settings.models_dir, target_is_directory=True)
    return settings.model_copy(update={"cache_dir": cache, "data_dir": root / "data"})


def count_syntheses(work_root: Path) -> int:
    """Syntheses made, from the line caches: each (text, voice, rate) is one cached wav, so
    any excess over the lines is lines spoken more than once."""
    return sum(1 for _ in work_root.glob("*/targets/*/lines/*.wav"))


def stage_table(clock: StageClock, total: StageTime, floor: Floor, title: str) -> Table:
    table = Table("stage", "wall s", "CPU s", "cores", "x floor", title=title)

    def row(name: str, t: StageTime, style: str = "") -> None:
        cores = t.cpu / t.wall if t.wall > 0 else 0.0
        table.add_row(
            f"{style}{name}", f"{t.wall:.2f}", f"{t.cpu:.2f}", f"{cores:.2f}",
            f"{t.wall / floor.wall:.2f}",
        )  # fmt: skip

    row("floor (re-encode)", StageTime(floor.wall, floor.cpu))
    for name, t in clock.stages.items():
        row(name + (" (cached)" if t.cached else ""), t)
    staged = clock.total()
    row("outside stages", StageTime(total.wall - staged.wall, total.cpu - staged.cpu))
    row("pipeline total", total, "[bold]")
    return table


@contextmanager
def _logged(logger: logging.Logger) -> Iterator[list[str]]:
    """The INFO messages `logger` gives inside the block, collected in a list."""
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(record.getMessage())
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def run_bench(
    settings: Settings,
    *,
    seconds: float = SIZES[0],
    target: str = "Spanish",
    mode: str = "speed",
    cold: bool = True,
    busy: int = 0,
) -> int:
    console = Console()
    code = resolve_language(target).code
    clip = bench_clip(seconds, settings.cache_dir)
    with (
        tempfile.TemporaryDirectory(prefix="polydub-bench-") as tmp,
        busy_processes(busy),  # the floor runs beside them too: its ratio stays comparable
    ):
        root = Path(tmp)
        floor = encode_floor(clip, root / "floor.mp4")
        run_settings = cold_settings(settings, root) if cold else settings
        clock = StageClock()
        with (
            TreeSampler() as sampler,
            _logged(face_scan_ahead.logger) as scan_lines,
            _logged(report_ahead.logger) as report_lines,
            _logged(engine_warmup.logger) as warmup_lines,
            _logged(stage_beside.logger) as beside_lines,
        ):
            cpu0, started = cpu_seconds(), time.perf_counter()
            engines = EngineSet(run_settings)
            (result,) = dub(
                clip,
                DubOptions(targets=(code,), mode=mode),
                engines,
                work_root=root / "work",
                output_stem=root / "out" / "clip",
                on_event=clock,
            )
            total = StageTime(time.perf_counter() - started, cpu_seconds() - cpu0)
        spoken = count_syntheses(root / "work")
        # The same re-encode again: did the machine itself change speed during the run?
        floor_after = encode_floor(clip, root / "floor-after.mp4")

    caches = "cold caches (new speaker)" if cold else "warm caches"
    title = f"{seconds:g} s 720p {FPS:g} fps talking face, {mode} mode, to {code}, {caches}"
    console.print(stage_table(clock, total, floor, title))
    timing = result.report["timing"]
    lines = timing["segments"]
    synth_fit = sum(clock.stages[s].wall for s in ("synthesize", "fit") if s in clock.stages)
    console.print(
        f"floor: {floor.command} ({floor.wall:.2f} s before the run, {floor_after.wall:.2f} s "
        "after)\n"
        f"real-time factor {total.wall / seconds:.2f} (wall / clip length); "
        f"{total.wall / floor.wall:.1f}x the floor; CPU {total.cpu:.1f} s on {os.cpu_count()} "
        f"cores\n"
        f"peak RSS of the process tree: {sampler.peak_rss_mb():.0f} MB\n"
        f"load: 1-min {sampler.load_start:.2f} at start, {sampler.load_max:.2f} at most "
        f"(the bench included); other processes {sampler.other_load:.2f} runnable on average\n"
        f"lines: {lines}, syntheses {spoken} ({max(0, spoken - lines)} lines spoken twice); "
        f"synthesize + fit {synth_fit:.2f} s\n"
        f"quality: WER {result.report['intelligibility']['wer'] * 100:.1f}%, rate p95 "
        f"{timing['rate_p95']:.2f} (max {timing['rate_max']:.2f}), drift p95 "
        f"{timing['start_drift_p95'] * 1000:.0f} ms (max {timing['start_drift_max'] * 1000:.0f}),"
        f" duration change {timing['duration_change']:.2f} s, truncated "
        f"{timing['truncated_segments']}, dropped {timing['dropped_segments']}"
    )
    # The face scan and the report's measurements run beside the stages: their CPU is inside
    # theirs. Mix runs beside lipsync: the table shares the CPU of their common time evenly;
    # its own thread's CPU (ffmpeg's excluded) is told here.
    for line in scan_lines + report_lines + warmup_lines + beside_lines:
        console.print(line)
    if busy:
        console.print(f"loaded on purpose: {busy} busy process(es) beside the run (--busy)")
    for warning in (
        load_warning(sampler.load_start, sampler.other_load, busy=busy),
        drift_warning(floor.wall, floor_after.wall),
    ):
        if warning:
            console.print(f"[bold yellow]{warning}")
    return 0
