"""The pipeline as a worker runs it: the source side, one language (in one or two tasks) or a
proofread's translations, with its checkpoints pulled from and pushed to the blob store when
that store is remote (S3), and the worker's own copy of the work kept under a size bound
(without deleting a workspace another task on the machine is using)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from polydub.pipeline import custom_audio
from polydub.pipeline.dub import DubOptions, StageEvent, dub, run_source_side, workspace_for
from polydub.pipeline.proofread import translate_only
from polydub.pipeline.runner import StageRunner
from polydub.storage.cache import lease, prune_workspaces

logger = logging.getLogger(__name__)

TUNED_VOICES_PREFIX = "voices/matched"


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

    def log_stage(self, event: StageEvent) -> None:
        """Which stages this worker ran and which it reused (from its own or another
        machine's checkpoints)."""
        if event.status != "done":
            return
        where = event.stage if event.target is None else f"{event.stage} ({event.target})"
        how = "reused" if event.cached else f"ran in {event.seconds:.1f}s"
        logger.info("workspace %s: stage %s %s", self.workspace.name, where, how)

    def finish(self) -> None:
        settings = self.context.settings
        if self.mirror is None:
            return
        # Other tasks' workspaces on this machine are leased: prune leaves them alone.
        prune_workspaces(settings.work_dir, settings.work_cache_bytes, keep={self.workspace})


@contextmanager
def _working_in(context, workspace: Path) -> Iterator[_Mirror]:
    """Lease `workspace` for one task (no prune on this machine deletes it meanwhile), mirror
    it through the store, and keep the machine's copies under their bound afterwards."""
    with lease(workspace):
        mirror = _Mirror(context, workspace)
        try:
            yield mirror
        finally:
            mirror.finish()


def _chain(*callbacks: Callable[[StageEvent], None]) -> Callable[[StageEvent], None]:
    def call(event: StageEvent) -> None:
        for callback in callbacks:
            callback(event)

    return call


def run_shared_stages(
    context,
    source: Path,
    options: DubOptions,
    on_event: Callable[[StageEvent], None],
    should_cancel: Callable[[], bool],
) -> None:
    """ingest .. diarize of a batch, once, shared by its languages.

    Raises:
        JobCancelled: `should_cancel` said so.
    """
    engines = context.engines
    with _working_in(context, workspace_for(source, context.settings.work_dir)) as mirror:
        mirror.pull("source")
        runner = StageRunner(
            mirror.workspace, _chain(on_event, mirror.log_stage, mirror.push_after), should_cancel
        )
        if options.dub_audio is not None:
            custom_audio.run_audio_source_side(runner, source, options, engines)
        else:
            run_source_side(runner, source, options, engines)


def run_target_stages(
    context,
    source: Path,
    options: DubOptions,
    outputs: Path,
    on_event: Callable[[StageEvent], None],
    should_cancel: Callable[[], bool],
    stop_after: str | None = None,
):
    """The one target of `options`, from the shared checkpoints to its published outputs (a
    DubResult), or to the end of the `stop_after` stage with its checkpoints stored (None:
    another step goes on from there; a dub that never reaches that stage runs to the end).

    Raises:
        JobCancelled: `should_cancel` said so.
    """
    engines = context.engines
    (code,) = options.targets
    share_tuned_voices(context, engines)
    with _working_in(context, workspace_for(source, context.settings.work_dir)) as mirror:
        mirror.pull("source", f"targets/{code}")
        results = dub(
            source,
            options,
            engines,
            work_root=context.settings.work_dir,
            output_stem=outputs / "video",
            on_event=_chain(on_event, mirror.log_stage, mirror.push_after),
            should_cancel=should_cancel,
            stop_after=stop_after,
            # With a local store the next step (lipsync) runs on this machine's workspace: its
            # face scan is made here, beside translate .. mix. With S3 it may run elsewhere.
            scan_for_later=not getattr(context.blobs, "remote", False),
        )
    return results[0] if results else None


def share_tuned_voices(context, engines) -> None:
    """With a remote blob store, keep the voices tuned per speaker (~30 s each) there: the
    worker that dubs another language of the speaker, or finishes this one, fetches them
    instead of tuning again. A local store keeps them in the machine's directory, as before."""
    if getattr(context.blobs, "remote", False) and context.settings.voice_matching:
        engines.synthesizers["matched"].store.share_through(context.blobs, TUNED_VOICES_PREFIX)


def run_translate_only(
    context, source: Path, options: DubOptions, should_cancel: Callable[[], bool]
) -> dict:
    """ingest .. translate for every target of `options` (a proofread), with the checkpoints
    mirrored like a translation's, so a translation made from it on any worker reuses them;
    returns target -> TranslationArtifact."""
    with _working_in(context, workspace_for(source, context.settings.work_dir)) as mirror:
        mirror.pull("source", *(f"targets/{code}" for code in options.targets))
        return translate_only(
            source,
            options,
            context.engines,
            work_root=context.settings.work_dir,
            on_event=_chain(mirror.log_stage, mirror.push_after),
            should_cancel=should_cancel,
        )
