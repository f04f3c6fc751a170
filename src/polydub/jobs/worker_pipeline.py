"""The pipeline as a worker runs it: the source side or one language, with its checkpoints
pulled from and pushed to the blob store when that store is remote (S3), and the worker's own
copy of the work kept under a size bound."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from polydub.jobs.executor import shared_engines
from polydub.jobs.run_translation import _Progress, cancelled
from polydub.pipeline.dub import DubOptions, StageEvent, dub, workspace_for
from polydub.pipeline.runner import StageRunner
from polydub.storage.cache import prune

logger = logging.getLogger(__name__)


class _Mirror:
    """A WorkspaceMirror when the blob store is remote; nothing to do when it is local (the
    workers then share the machine's work directory)."""

    def __init__(self, context, workspace: Path) -> None:
        self.context, self.workspace = context, workspace
        self.mirror = None
        if getattr(context.blobs, "remote", False):
            from polydub.jobs.workspace_sync import WorkspaceMirror

            self.mirror = WorkspaceMirror(context.blobs, workspace)

    def pull(self, *sides: str) -> None:
        if self.mirror is not None:
            fetched = sum(self.mirror.pull(side) for side in sides)
            logger.info("workspace %s: %d checkpoint files pulled", self.workspace.name, fetched)

    def push_after(self, event: StageEvent) -> None:
        """After a stage finished here (not reused), send it to the store."""
        if self.mirror is not None and event.status == "done" and not event.cached:
            self.mirror.push("source" if event.target is None else f"targets/{event.target}")

    def finish(self) -> None:
        settings = self.context.settings
        if self.mirror is None or not settings.work_dir.is_dir():
            return
        workspaces = [p for p in settings.work_dir.iterdir() if p.is_dir()]
        prune(workspaces, settings.work_cache_bytes, keep={self.workspace})


def _chain(*callbacks: Callable[[StageEvent], None]) -> Callable[[StageEvent], None]:
    def call(event: StageEvent) -> None:
        for callback in callbacks:
            callback(event)

    return call


def run_shared_stages(context, row_ids: list[str], source: Path, options: DubOptions) -> None:
    """ingest .. diarize of a batch, once; progress goes to every translation of the batch.

    Raises:
        JobCancelled: every translation of the batch was deleted meanwhile.
    """
    from polydub.pipeline import custom_audio
    from polydub.pipeline.dub import run_source_side

    engines = shared_engines(context)
    workspace = workspace_for(source, context.settings.work_dir)
    mirror = _Mirror(context, workspace)
    mirror.pull("source")
    progress = [_Progress(context, translation_id) for translation_id in row_ids]
    runner = StageRunner(
        workspace,
        _chain(*progress, mirror.push_after),
        lambda: all(cancelled(context, translation_id) for translation_id in row_ids),
    )
    try:
        if options.dub_audio is not None:
            custom_audio.run_audio_source_side(runner, source, options, engines)
        else:
            run_source_side(runner, source, options, engines)
    finally:
        mirror.finish()


def run_target_stages(
    context,
    translation_id: str,
    source: Path,
    options: DubOptions,
    code: str,
    outputs: Path,
    progress: Callable[[StageEvent], None],
):
    """One language, from the shared checkpoints to its published outputs (a DubResult).

    Raises:
        JobCancelled: the translation was deleted meanwhile.
    """
    workspace = workspace_for(source, context.settings.work_dir)
    mirror = _Mirror(context, workspace)
    mirror.pull("source", f"targets/{code}")
    try:
        results = dub(
            source,
            dataclasses.replace(options, targets=(code,)),
            shared_engines(context),
            work_root=context.settings.work_dir,
            output_stem=outputs / "video",
            on_event=_chain(progress, mirror.push_after),
            should_cancel=lambda: cancelled(context, translation_id),
        )
    finally:
        mirror.finish()
    return results[0]
