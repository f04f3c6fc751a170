"""The voice clone job: match a voice to the speaker of an uploaded recording, store it
where every worker finds it (jobs/voice_store.py), and a short preview of it speaking.

It runs as one step of the job spine (jobs/steps.py), in-process or on Celery, with the
life-cycle every job has (claim, fail with a client-readable message, discard when deleted).
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime

from sqlalchemy import update

from polydub.jobs.heygen_requests import stored_spec
from polydub.jobs.inputs import resolve_input
from polydub.jobs.lifecycle import VOICE_CLONES, claim, run_guarded, settle_batch
from polydub.jobs.models import Batch, VoiceClone
from polydub.jobs.voice_store import cloned_voices
from polydub.media.audio import write_wav

logger = logging.getLogger(__name__)

# What a cloned voice says in its preview, in the recording's language where there is one.
PREVIEWS = {
    "en": "Hello! This is my cloned voice. How does it sound?",
    "es": "¡Hola! Esta es mi voz clonada. ¿Qué te parece?",
    "fr": "Bonjour ! Voici ma voix clonée. Qu'en pensez-vous ?",
    "de": "Hallo! Das ist meine geklonte Stimme. Wie klingt sie?",
    "it": "Ciao! Questa è la mia voce clonata. Come ti sembra?",
    "pt": "Olá! Esta é a minha voz clonada. O que você acha?",
}


def source_key(clone_id: str) -> str:
    """Where audio sent inline (base64) is kept for the job."""
    return f"{VOICE_CLONES.blob_prefix(clone_id)}/source"


def preview_key(clone_id: str) -> str:
    return f"{VOICE_CLONES.blob_prefix(clone_id)}/preview.wav"


def voice_clone(context, clone_id: str, *, stopping) -> None:
    """Clone the voice of a voice clone job's recording (its batch has its id)."""
    from polydub.pipeline.voice_clone import clone_recording

    job = claim(context, VOICE_CLONES, clone_id)
    if job is None:
        return
    with context.db.session() as session:
        batch = session.get(Batch, clone_id)
        if batch is None:
            return
        batch.status = "running"
        spec = stored_spec("voice_clone", batch.request)
    workdir = context.settings.work_dir / "voice_clones" / clone_id

    def work() -> None:
        if spec.audio_key is not None:
            recording = context.blobs.path(spec.audio_key)
        else:
            recording = resolve_input(context, job.owner_id, spec.audio, "audio")
        cloned = clone_recording(
            context.engines,
            recording,
            workdir,
            language=spec.language,
            denoise=spec.denoise,
        )
        engine = cloned_voices(context)
        engine.store.save(clone_id, cloned.voice)
        preview = _preview(engine, clone_id, cloned.language, workdir)
        key = context.blobs.put_file(preview_key(clone_id), preview)
        with context.db.session() as session:
            done = session.execute(
                update(VoiceClone)
                .where(VoiceClone.id == clone_id, VoiceClone.status == "running")
                .values(
                    status="completed",
                    progress=1.0,
                    language=cloned.language,
                    gender=cloned.gender,
                    report=cloned.report,
                    preview_key=key,
                    completed_at=datetime.now(UTC),
                )
            ).rowcount
        if not done:  # deleted meanwhile: nothing of it may remain
            engine.store.delete(clone_id)
            context.blobs.delete_prefix(VOICE_CLONES.blob_prefix(clone_id))
        logger.info("voice clone %s: %s", clone_id, cloned.report)

    try:
        run_guarded(context, VOICE_CLONES, [clone_id], work, stopping)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    settle_batch(context, clone_id)


def _preview(engine, clone_id: str, language: str, workdir):
    """The clone reading a short sentence, as a wav file."""
    code = language if language in PREVIEWS and language in engine.kokoro.languages() else "en"
    speech = engine.synthesize(PREVIEWS[code], language=code, voice=f"{engine.name}:{clone_id}")
    return write_wav(workdir / "preview.wav", speech.audio)
