"""The steps of every job kind, as one table both executors run.

A batch starts with its kind's first step; each step returns the steps that follow it. The
in-process executor runs them one after another in its own process (run_batch_here); the
Celery executor runs each as a task and enqueues what it returns (jobs/tasks.py), so a
language's lip-sync can go to a GPU worker. Either way the life-cycle is jobs/lifecycle.py's.

translation:  source (ingest .. diarize, once per batch) -> per language: target (translate ..
              mix) -> finish (lipsync, render, report; audio-only output ends at target)
lipsync:      lipsync (the user's audio over the video, lip-synced)
proofread:    proofread (ingest .. translate for every language; the scripts are published)
voice_clone:  voice_clone (a voice matched to the speaker of a recording, stored by its id)
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from polydub.errors import InvalidInputError, JobCancelled, client_message
from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.inputs import owned_asset, resolve_input
from polydub.jobs.lifecycle import (
    LIPSYNCS,
    TRANSLATIONS,
    UNFINISHED,
    ClaimedJob,
    claim,
    complete,
    fail,
    is_cancelled,
    progress_writer,
    run_guarded,
    settle_batch,
    staged_input_prefix,
)
from polydub.jobs.models import Batch, Proofread, Translation
from polydub.jobs.proofread_scripts import proofread_edits, store_script
from polydub.jobs.spec import JobSpec, MediaRef, dub_options
from polydub.jobs.stage_record import StageRecorder, add_to_record, load_record, merge
from polydub.jobs.voice_clones import voice_clone
from polydub.jobs.voice_store import cloned_voices
from polydub.jobs.worker_pipeline import (
    run_shared_stages,
    run_target_stages,
    run_translate_only,
)
from polydub.pipeline.dub import SOURCE_STAGES, TARGET_STAGES, DubOptions, StageEvent
from polydub.pipeline.face_presence import video_has_a_face
from polydub.pipeline.language_routes import unserved_from_heard_source
from polydub.pipeline.lipsync_lines import NO_FACE_MESSAGE, nothing_lip_synced
from polydub.pipeline.voices import check_voice_ids
from polydub.request_ids import request_id_set

logger = logging.getLogger(__name__)

TRANSLATION_STAGES = len(SOURCE_STAGES) + len(TARGET_STAGES)
# The own-audio path's stages: ingest, separate, fit, captions, mix, lipsync, render, report.
LIPSYNC_STAGES = 8
# The pipeline names each output after a target language; a lip sync has none of its own.
LIPSYNC_OUTPUT_LABEL = "und"

Stopping = Callable[[], bool]


@dataclass(frozen=True)
class StepCall:
    """One step to run: its name in STEPS and its arguments (plain strings, as Celery sends)."""

    step: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    task_name: str  # the Celery task that runs it
    queue_kind: str  # its routing kind (Settings.task_queues maps kinds to queues)
    task_id_prefix: str  # task ids are "<prefix>-<job id>", so a DELETE can revoke them
    job_arg: int  # which argument is that job id
    run: Callable[..., list[StepCall]]  # (context, *args, stopping=...) -> follow-ups

    def task_id(self, args: tuple[str, ...]) -> str:
        return f"{self.task_id_prefix}-{args[self.job_arg]}"


# -- shared pieces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSpec:
    owner_id: str
    kind: str
    spec: JobSpec


def load_batch(context, batch_id: str, *, start: bool = False) -> BatchSpec | None:
    """A batch's owner, kind and spec (None when gone); `start` marks it running."""
    with context.db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return None
        if start:
            batch.status = "running"
        return BatchSpec(batch.owner_id, batch.kind, stored_spec(batch.kind, batch.request))


def job_options(context, owner_id: str, spec: JobSpec, targets: tuple[str, ...]) -> DubOptions:
    """The pipeline's options for a job of `spec`, its media fetched or found.

    Raises:
        InvalidInputError: an input that cannot be fetched, or a stock voice that is gone.
    """
    if spec.voice_ids:  # checked at request time too; a voice may have been removed since
        cloned_voices(context)  # a cloned voice is fetched from the blob store
        check_voice_ids(spec.voice_ids, context.engines.synthesizers)
    settings = context.settings
    return dub_options(
        spec,
        targets,
        resolve=lambda ref, param: resolve_input(context, owner_id, ref, param),
        max_rate=settings.max_speech_rate,
        max_slowdown=settings.max_slowdown,
        target_lufs=settings.target_lufs,
        edits=proofread_edits(context, spec.proofread_id) if spec.proofread_id else None,
    )


def stage_input(context, batch_id: str, owner_id: str, video: MediaRef) -> tuple[Path, str]:
    """The batch's video as a local file and as a blob key every worker can read it by: an
    asset is its own blob; a downloaded video is kept under the batch until it settles."""
    if video.kind == "asset":
        key = owned_asset(context, owner_id, video.value, "video").storage_key
        return context.blobs.path(key), key
    path = resolve_input(context, owner_id, video, "video")
    key = f"{staged_input_prefix(batch_id)}/source{path.suffix.lower()}"
    context.blobs.put_file(key, path)
    return path, key


def _chain(callbacks: list[Callable[[StageEvent], None]]) -> Callable[[StageEvent], None]:
    def call(event: StageEvent) -> None:
        for callback in callbacks:
            callback(event)

    return call


def _outputs_dir(context, job_id: str) -> Path:
    return context.settings.data_dir / "outputs" / job_id


# -- translation ---------------------------------------------------------------------------------


def translation_source(context, batch_id: str, *, stopping: Stopping) -> list[StepCall]:
    """ingest .. diarize once for every unfinished language of the batch; then each language."""
    batch = load_batch(context, batch_id, start=True)
    if batch is None:
        return []
    with context.db.session() as session:
        row_ids = session.scalars(
            select(Translation.id)
            .where(Translation.batch_id == batch_id, Translation.status.in_(UNFINISHED))
            .order_by(Translation.created_at, Translation.id)
        ).all()
    jobs = [job for job in (claim(context, TRANSLATIONS, i) for i in row_ids) if job]
    if not jobs:
        settle_batch(context, batch_id)
        return []
    ids = [job.id for job in jobs]
    staged: list[str] = []
    recorder = StageRecorder()

    def work() -> None:
        source, key = stage_input(context, batch_id, batch.owner_id, batch.spec.video)
        staged.append(key)
        if batch.spec.source_language is None:
            refuse_unserved_targets(context, jobs, source)
            if not jobs:
                return
        progress = [progress_writer(context, TRANSLATIONS, j, TRANSLATION_STAGES) for j in jobs]
        run_shared_stages(
            context,
            source,
            job_options(context, batch.owner_id, batch.spec, ()),
            _chain([*progress, recorder]),
            # Shared work stops only when every language is gone (or for a shutdown).
            lambda: stopping() or all(is_cancelled(context, TRANSLATIONS, i) for i in ids),
        )

    if not run_guarded(context, TRANSLATIONS, ids, work, stopping):
        settle_batch(context, batch_id)
        return []
    ids = [j.id for j in jobs]  # less the refused targets
    if not ids:
        settle_batch(context, batch_id)
        return []
    for job_id in ids:
        add_to_record(context.blobs, TRANSLATIONS.blob_prefix(job_id), recorder.records)
    return [StepCall("translation_target", (batch_id, i, staged[0])) for i in ids]


def refuse_unserved_targets(context, jobs: list[ClaimedJob], source: Path) -> None:
    """Fail now, alone, the languages no route serves from the language heard in the video
    (the request gave none), and drop them from `jobs`: the others go on."""
    codes = [job.output_code for job in jobs if job.output_code]
    refused = unserved_from_heard_source(context.engines, codes, source)
    for job in [j for j in jobs if j.output_code in refused]:
        fail(context, TRANSLATIONS, job.id, refused[job.output_code])
        jobs.remove(job)


def translation_target(
    context, batch_id: str, translation_id: str, input_key: str, *, stopping: Stopping
) -> list[StepCall]:
    """translate .. mix of one language; a dub with lip-sync goes on as translation_finish."""
    finished = _translation_stages(
        context, batch_id, translation_id, input_key, stopping, stop_after="mix"
    )
    if finished is False:
        return [StepCall("translation_finish", (batch_id, translation_id, input_key))]
    return []


def translation_finish(
    context, batch_id: str, translation_id: str, input_key: str, *, stopping: Stopping
) -> list[StepCall]:
    """lipsync, render, report of one language, from the checkpoints its target step left."""
    _translation_stages(context, batch_id, translation_id, input_key, stopping, stop_after=None)
    return []


def _translation_stages(
    context,
    batch_id: str,
    translation_id: str,
    input_key: str,
    stopping: Stopping,
    *,
    stop_after: str | None,
) -> bool | None:
    """One language's target stages up to `stop_after` (or to the end, then its outputs are
    stored). False: it stopped after `stop_after` and goes on in another step; True: the job
    ended (completed, failed or cancelled); None: nothing to do (gone, or already finished)."""
    job = claim(context, TRANSLATIONS, translation_id)
    batch = load_batch(context, batch_id) if job else None
    if job is None or batch is None:
        return None
    outputs = _outputs_dir(context, translation_id)
    handed_on: list[bool] = []
    recorder = StageRecorder()
    prefix = TRANSLATIONS.blob_prefix(translation_id)

    def work() -> None:
        result = run_target_stages(
            context,
            context.blobs.path(input_key),
            job_options(context, job.owner_id, batch.spec, (job.output_code,)),
            outputs,
            _chain([progress_writer(context, TRANSLATIONS, job, TRANSLATION_STAGES), recorder]),
            lambda: stopping() or is_cancelled(context, TRANSLATIONS, translation_id),
            stop_after=stop_after,
        )
        if result is None:
            handed_on.append(True)
            add_to_record(context.blobs, prefix, recorder.records)
        else:
            record = merge(load_record(context.blobs, prefix), recorder.records)
            complete(context, TRANSLATIONS, translation_id, result, record=record)

    try:
        finished = run_guarded(context, TRANSLATIONS, [translation_id], work, stopping)
    finally:
        shutil.rmtree(outputs, ignore_errors=True)
    if finished and handed_on:
        return False
    settle_batch(context, batch_id)
    return True


# -- lip sync ------------------------------------------------------------------------------------


def lipsync(context, lipsync_id: str, *, stopping: Stopping) -> list[StepCall]:
    """A Lip Sync job (its batch has its id): the user's audio over the video, lip-synced."""
    job = claim(context, LIPSYNCS, lipsync_id)
    batch = load_batch(context, lipsync_id, start=True) if job else None
    if job is None or batch is None:
        return []
    outputs = _outputs_dir(context, lipsync_id)

    def work() -> None:
        video = resolve_input(context, job.owner_id, batch.spec.video, "video")
        if not video_has_a_face(video):  # fail at once, not after the audio work
            raise InvalidInputError(NO_FACE_MESSAGE, param="video")
        options = job_options(context, job.owner_id, batch.spec, (LIPSYNC_OUTPUT_LABEL,))
        result = run_target_stages(
            context,
            video,
            options,
            outputs,
            progress_writer(context, LIPSYNCS, job, LIPSYNC_STAGES),
            lambda: stopping() or is_cancelled(context, LIPSYNCS, lipsync_id),
        )
        # A Lip Sync job exists for the redraw: without a face it fails and says why (a
        # "completed" job with an untouched picture would look like a success).
        problem = nothing_lip_synced(result.report.get("lipsync"))
        if problem is not None:
            raise InvalidInputError(problem, param="video")
        complete(context, LIPSYNCS, lipsync_id, result)

    try:
        run_guarded(context, LIPSYNCS, [lipsync_id], work, stopping)
    finally:
        shutil.rmtree(outputs, ignore_errors=True)
    settle_batch(context, lipsync_id)
    return []


# -- proofread -----------------------------------------------------------------------------------


def proofread(context, batch_id: str, *, stopping: Stopping) -> list[StepCall]:
    """Transcribe and translate a proofread batch's video into each of its languages and
    publish the scripts. A shutdown leaves the rows "processing", to resume."""
    batch = load_batch(context, batch_id, start=True)
    if batch is None:
        return []
    with context.db.session() as session:
        rows = session.execute(
            select(Proofread.id, Proofread.output_code)
            .where(Proofread.batch_id == batch_id, Proofread.status == "processing")
            .order_by(Proofread.created_at, Proofread.id)
        ).all()
    targets = dict(rows)
    if not targets:
        return []
    try:
        source = resolve_input(context, batch.owner_id, batch.spec.video, "video")
        codes = tuple(dict.fromkeys(targets.values()))
        options = job_options(context, batch.owner_id, batch.spec, codes)
        # Checkpoints go through the blob store when it is remote: the translation made
        # from this proofread may run on another worker.
        translations = run_translate_only(context, source, options, stopping)
        for proofread_id, code in targets.items():
            store_script(context, proofread_id, translations[code])
        status = "completed"
    except JobCancelled:
        logger.info("proofread batch %s paused for shutdown", batch_id)
        return []
    except Exception as exc:
        logger.exception("proofread batch %s failed", batch_id)
        with context.db.session() as session:
            session.execute(
                update(Proofread)
                .where(Proofread.id.in_(list(targets)), Proofread.status == "processing")
                .values(status="failed", failure_message=client_message(exc))
            )
        status = "failed"
    with context.db.session() as session:
        session.execute(update(Batch).where(Batch.id == batch_id).values(status=status))
    return []


# -- voice clone ---------------------------------------------------------------------------------


def clone_voice(context, clone_id: str, *, stopping: Stopping) -> list[StepCall]:
    """A voice clone job (its batch has its id): jobs/voice_clones.py."""
    voice_clone(context, clone_id, stopping=stopping)
    return []


# -- the table -----------------------------------------------------------------------------------

STEPS: dict[str, Step] = {
    "translation_source": Step("polydub.source_side", "source", "source", 0, translation_source),
    "translation_target": Step("polydub.dub_language", "target", "dub", 1, translation_target),
    "translation_finish": Step(
        "polydub.finish_language", "lipsync", "finish", 1, translation_finish
    ),
    "lipsync": Step("polydub.lipsync_job", "lipsync", "lipsync", 0, lipsync),
    "proofread": Step("polydub.proofread", "proofread", "proofread", 0, proofread),
    "voice_clone": Step("polydub.voice_clone", "voice_clone", "clone", 0, clone_voice),
}
FIRST_STEP = {
    "translation": "translation_source",
    "lipsync": "lipsync",
    "proofread": "proofread",
    "voice_clone": "voice_clone",
}


def first_call(kind: str, batch_id: str) -> StepCall:
    """The step a batch of `kind` starts with.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in FIRST_STEP:
        raise ValueError(f"unknown batch kind {kind!r}")
    return StepCall(FIRST_STEP[kind], (batch_id,))


def run_step(context, call: StepCall, stopping: Stopping) -> list[StepCall]:
    return STEPS[call.step].run(context, *call.args, stopping=stopping)


def run_batch_here(context, batch_id: str, stopping: Stopping) -> None:
    """Every step of a batch in this process, each language to its end before the next
    starts (so the first language's video is ready as soon as it can be)."""
    with context.db.session() as session:
        found = session.execute(
            select(Batch.kind, Batch.request_id).where(Batch.id == batch_id)
        ).first()
    if found is None:
        return
    kind, request_id = found
    with request_id_set(request_id):  # the job's log lines and webhooks carry the request's id
        pending = [first_call(kind, batch_id)]
        while pending and not stopping():
            call = pending.pop(0)
            pending[0:0] = run_step(context, call, stopping)
