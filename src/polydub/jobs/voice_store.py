"""Where cloned voices live: in the blob store, so every worker that dubs with one (or
speaks with it) finds it; each machine keeps a local copy (the "clone" engine's store).

Also the one check of voice ids a request names: a stock voice, or a clone of the caller's
that is complete. Another key's clone is unknown to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from polydub.errors import InvalidInputError
from polydub.jobs.models import VoiceClone
from polydub.storage.atomic import copy_atomic

CLONE_ENGINE = "clone"
CLONED_VOICES_PREFIX = "voices/cloned"


def clone_voice_id(clone_id: str) -> str:
    """The voice id of a clone, as requests name it."""
    return f"{CLONE_ENGINE}:{clone_id}"


def clone_id_of(voice_id: str) -> str | None:
    """The clone id a voice id names; None for any other voice."""
    engine, sep, name = voice_id.partition(":")
    return name if sep and engine == CLONE_ENGINE else None


class _BlobVoices:
    """A blob store as VoiceStore.share_through wants it (download into a path)."""

    def __init__(self, blobs) -> None:
        self.blobs = blobs

    def download(self, key: str, target: Path) -> bool:
        if not self.blobs.exists(key):
            return False
        download = getattr(self.blobs, "download", None)
        if download is not None:
            return download(key, target)
        copy_atomic(self.blobs.path(key), target)
        return True

    def put_file(self, key: str, source: Path) -> str:
        return self.blobs.put_file(key, source)

    def delete_prefix(self, prefix: str) -> None:
        self.blobs.delete_prefix(prefix)


def cloned_voices(context):
    """The process's "clone" engine, its store backed by the context's blob store."""
    engine = context.engines.synthesizers[CLONE_ENGINE]
    engine.store.share_through(_BlobVoices(context.blobs), CLONED_VOICES_PREFIX)
    return engine


def check_named_voices(
    session: Session, owner_id: str, voice_ids: Iterable[str], param: str
) -> None:
    """Refuse voice ids a request may not use: a clone that is not the caller's or not
    complete, or a voice of the local registries (CLI saved or tuned voices).

    Raises:
        InvalidInputError: `param`, naming the voice (as for a missing asset).
    """
    for voice_id in voice_ids:
        engine = voice_id.partition(":")[0]
        clone_id = clone_id_of(voice_id)
        if clone_id is not None:
            row = session.get(VoiceClone, clone_id)
            if row is None or row.owner_id != owner_id:
                raise InvalidInputError(f"voice {voice_id!r} not found", param=param)
            if row.status != "completed":
                raise InvalidInputError(
                    f"voice {voice_id!r} is not ready (its clone is {row.status})", param=param
                )
        elif engine in ("voice", "matched"):
            raise InvalidInputError(f"voice {voice_id!r} not found", param=param)
