"""The dubbing pipeline: source-side stages once, then target-side stages per language.

Every stage runs through the checkpointing runner, keyed by its upstream stage's key and its
own settings, so a rerun resumes after the last finished stage and a new target language reuses
the source side (ingest .. diarize).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from polydub.errors import JobCancelled
from polydub.pipeline import custom_audio
from polydub.pipeline.dub_options import DubOptions, workspace_for
from polydub.pipeline.engine_set import EngineSet
from polydub.pipeline.engine_warmup import EngineWarmup
from polydub.pipeline.face_scan_ahead import FaceScanAhead
from polydub.pipeline.report import DubResult, build_report, engine_names, publish
from polydub.pipeline.runner import ProgressCallback, StageEvent, StageRunner
from polydub.pipeline.source_side import run_source_side
from polydub.pipeline.target_side import run_target_side

SOURCE_STAGES = ("ingest", "separate", "transcribe", "diarize")
# In the order they start; mix and lipsync both build on fit and run side by side where both
# run (pipeline/target_side.py), so a run stopped after mix has not started lipsync.
TARGET_STAGES = ("translate", "voices", "synthesize", "fit", "mix", "lipsync", "render", "report")

__all__ = [
    "DubOptions",
    "DubResult",
    "StageEvent",
    "dub",
    "run_source_side",
    "workspace_for",
    "SOURCE_STAGES",
    "TARGET_STAGES",
]


def dub(
    source: Path,
    options: DubOptions,
    engines: EngineSet,
    *,
    work_root: Path,
    output_stem: Path,
    on_event: ProgressCallback = lambda e: None,
    should_cancel: Callable[[], bool] = lambda: False,
    stop_after: str | None = None,
    on_target_error: Callable[[str, Exception], None] | None = None,
    scan_for_later: bool = False,
) -> list[DubResult]:
    """Dub `source` into every target language of `options`.

    Writes `<output_stem>.<lang>.mp4` (or the source's extension with keep_format), `.srt`,
    `.vtt` and `.report.json` per target, and returns where they are.

    Args:
        stop_after: a target stage (e.g. "mix") after which each target stops, leaving its
            checkpoints and no outputs: a worker hands the rest to another (a GPU worker for
            lipsync), whose own dub() call reuses them. A target that never reaches that stage
            (audio-only output skips lipsync) runs to the end and is returned.
        on_target_error: given, a target that fails is handed to it and the others go on
            (the CLI reports every target's outcome); None raises at the first failure.
        scan_for_later: with a `stop_after` before lipsync, scan the faces anyway, beside the
            stages, and finish the scan before returning: the lipsync of a later call on this
            machine finds it in the workspace (a worker whose next step runs here).

    Raises:
        ValueError: `stop_after` is not a target stage.
    """
    if stop_after is not None and stop_after not in TARGET_STAGES:
        raise ValueError(f"stop_after must be one of {', '.join(TARGET_STAGES)}: {stop_after!r}")
    if stop_after is not None:
        on_event = _stopping_after(stop_after, on_event)
    runner = StageRunner(
        workspace_for(source, work_root), on_event, should_cancel, stop_after=stop_after
    )
    if _lipsync_runs(options, engines, None if scan_for_later else stop_after):
        runner.face_scan = FaceScanAhead(runner.face_scans, options.mode, runner.cancel)
    separated_before = runner.stage_dir("separate", None).exists()
    warmup = EngineWarmup(options, engines, runner.cancel, separated_before=separated_before)
    warmup.start()
    try:
        results = _dub_targets(runner, source, options, engines, output_stem, on_target_error)
    except BaseException:
        if runner.face_scan is not None:
            runner.face_scan.stop()
        raise
    finally:
        warmup.stop()
    if runner.face_scan is not None:
        if scan_for_later and stop_after is not None:
            runner.face_scan.wait()  # finished for the next step; a failure leaves it to that one
        runner.face_scan.stop()
    return results


def _lipsync_runs(options: DubOptions, engines: EngineSet, stop_after: str | None) -> bool:
    """Whether this run's targets reach a lipsync stage with a built-in renderer, whose face
    scan can start after ingest (a neural model's renderer needs the dub's speech to exist)."""
    stops_before = stop_after is not None and TARGET_STAGES.index(stop_after) < TARGET_STAGES.index(
        "lipsync"
    )
    return not (options.audio_only or stops_before) and engines.lipsync_model is None


def _dub_targets(
    runner: StageRunner,
    source: Path,
    options: DubOptions,
    engines: EngineSet,
    output_stem: Path,
    on_target_error: Callable[[str, Exception], None] | None,
) -> list[DubResult]:
    """The source side once, then each target; see dub()."""
    # Voice matching runs between stages: the whole run is in scope of the job's cancel.
    with runner.cancellable():
        extension = source.suffix.lower() if options.keep_format else ".mp4"
        if options.dub_audio is not None:
            shared = custom_audio.run_audio_source_side(runner, source, options, engines)
            side = custom_audio.run_audio_target_side
        else:
            shared = run_source_side(runner, source, options, engines)
            side = run_target_side
        results = []
        for target in options.targets:
            try:
                dubbed = side(runner, shared, target, options, engines, extension)
            except _StageLimitReached:
                continue
            except JobCancelled:
                raise
            except Exception as exc:
                if on_target_error is None:
                    raise
                on_target_error(target, exc)
                continue
            report = build_report(shared, dubbed, mode=options.mode, outcomes=runner.outcomes)
            report["models"] = engines.models_in_use(engine_names(shared, dubbed))
            results.append(publish(dubbed, report, output_stem, extension))
        return results


class _StageLimitReached(Exception):
    """A target finished the stage dub() was asked to stop after."""


def _stopping_after(stage: str, on_event: ProgressCallback) -> ProgressCallback:
    """`on_event`, then a stop once a target's `stage` is done: the side functions run their
    stages in one chain, so this is where a target's run can end early without changing them."""

    def call(event: StageEvent) -> None:
        on_event(event)
        if event.stage == stage and event.target is not None and event.status == "done":
            raise _StageLimitReached(stage)

    return call
