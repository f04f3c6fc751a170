"""`polydub models pull | verify | remove`: fetch a catalogue entry, check it, register it.

A pull lists the repository at the entry's revision, checks there is room, downloads each
file (resuming a .part left by an interrupted pull), holds it to its hash, converts once where
the entry says so, and only then records the model, so engines never see half a model.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from polydub.engines.models.catalogue import ModelEntry
from polydub.engines.models.convert import convert_to_ctranslate2
from polydub.engines.models.hub import HubClient, HubError, Progress, sha256_of
from polydub.engines.models.store import ModelStore, PulledModel
from polydub.errors import NotFoundError, PolydubError

# Room kept free beyond what a pull needs; a full disk breaks everything else too.
SPACE_MARGIN = 256 * 1024**2

# Given a label and a byte total, returns the callback that advances that file's bar.
ProgressFactory = Callable[[str, int], Progress]


class InsufficientSpaceError(PolydubError):
    code = "insufficient_disk_space"


class UnknownModelError(NotFoundError):
    code = "unknown_model"


@dataclass(frozen=True)
class VerifyProblem:
    model: str
    path: str
    problem: str


def resolve_names(catalogue: dict[str, ModelEntry], names: list[str]) -> list[ModelEntry]:
    """Catalogue entries for `names`, in order, without repeats.

    Raises:
        UnknownModelError: a name is not in the catalogue (the message lists close ones).
    """
    unknown = [n for n in names if n not in catalogue]
    if unknown:
        raise UnknownModelError(
            f"unknown model {', '.join(unknown)}; `polydub models list` shows the catalogue"
        )
    return [catalogue[n] for n in dict.fromkeys(names)]


def pull(
    entry: ModelEntry,
    store: ModelStore,
    client: HubClient,
    *,
    progress: ProgressFactory | None = None,
    space_margin: int = SPACE_MARGIN,
) -> PulledModel:
    """Download, check, convert (if needed) and register one model; returns its record.

    A model already registered at the same commit with its files present is not fetched again.

    Args:
        space_margin: bytes to leave free beyond the download (and conversion).

    Raises:
        HubError / ChecksumError: the hub failed or sent bad bytes (see hub.py).
        InsufficientSpaceError: the disk cannot hold the download (and conversion).
        ConversionError: the conversion's requirements are missing or it failed.
    """
    listing = client.listing(entry.repo, entry.revision)
    if entry.revision and listing.commit != entry.revision:
        raise HubError(
            f"the hub resolved {entry.repo}@{entry.revision} to another commit {listing.commit}"
        )
    current = store.pulled().get(entry.name)
    if current and current.commit == listing.commit and _complete(store, current):
        return current
    remotes = []
    for wanted in entry.files:
        remote = listing.files.get(wanted.path)
        if remote is None and wanted.optional:
            continue
        if remote is None:
            raise HubError(f"{entry.repo} has no {wanted.path} at commit {listing.commit[:12]}")
        remotes.append((wanted, remote))

    download_dir = store.download_dir(entry.name)
    _check_space(entry, download_dir, remotes, space_margin)
    recorded = current.files if current and current.commit == listing.commit else {}
    hashes: dict[str, str] = {}
    for wanted, remote in remotes:
        target = download_dir / wanted.path
        expected = wanted.sha256 or remote.sha256 or recorded.get(wanted.path)
        if target.is_file() and _matches(target, expected):
            hashes[wanted.path] = sha256_of(target)
            continue
        size = remote.size or wanted.size
        advance = progress(f"{entry.name}: {wanted.path}", size) if progress else None
        part = target.with_name(target.name + ".part")
        if advance and part.exists():
            advance(part.stat().st_size)  # resumed bytes count as done
        hashes[wanted.path] = client.download(
            entry.repo, listing.commit, remote, target, sha256=wanted.sha256, progress=advance
        )

    load_dir, converted = "files", False
    if entry.conversion == "ct2-transformers":
        convert_to_ctranslate2(download_dir, store.folder(entry.name) / "ct2", _family(entry))
        load_dir, converted = "ct2", True
    model = PulledModel(
        name=entry.name,
        stage=entry.stage,
        repo=entry.repo,
        commit=listing.commit,
        licence=entry.licence,
        languages=list(entry.languages),
        files=hashes,
        load_dir=load_dir,
        engine=dict(entry.engine),
        quality=entry.quality,
        converted=converted,
    )
    store.record(model)
    return model


def verify(store: ModelStore, names: list[str] | None = None) -> list[VerifyProblem]:
    """Re-hash every pulled file against the registry; an empty list means all is well."""
    problems = []
    for name, model in sorted(store.pulled().items()):
        if names and name not in names:
            continue
        for path, expected in sorted(model.files.items()):
            file = store.download_dir(name) / path
            if not file.is_file():
                problems.append(VerifyProblem(name, path, "missing"))
            elif sha256_of(file) != expected:
                problems.append(VerifyProblem(name, path, "sha256 differs from the pull's"))
        if not store.load_path(model).is_dir():
            problems.append(VerifyProblem(name, model.load_dir, "converted model missing"))
    return problems


def remove(store: ModelStore, name: str) -> None:
    """Unregister a pulled model and delete its files.

    Raises:
        UnknownModelError: nothing of that name is pulled.
    """
    if name not in store.pulled() and not store.folder(name).exists():
        raise UnknownModelError(f"{name} is not pulled; `polydub models list` shows what is")
    store.forget(name)  # first: engines stop choosing it before its files go
    shutil.rmtree(store.folder(name), ignore_errors=True)


def _family(entry: ModelEntry) -> str:
    return str(entry.engine.get("family", "opus-mt"))


def _complete(store: ModelStore, model: PulledModel) -> bool:
    return store.load_path(model).is_dir() and all(
        (store.download_dir(model.name) / p).is_file() for p in model.files
    )


def _matches(path: Path, sha256: str | None) -> bool:
    return sha256 is not None and sha256_of(path) == sha256.lower()


def _check_space(entry: ModelEntry, download_dir: Path, remotes, margin: int) -> None:
    needed = 0
    for wanted, remote in remotes:
        target = download_dir / wanted.path
        if target.is_file():
            continue
        part = target.with_name(target.name + ".part")
        needed += (remote.size or wanted.size) - (part.stat().st_size if part.exists() else 0)
    if entry.conversion:
        needed += entry.size // 3  # an int8 CTranslate2 copy is about a quarter of float32
    probe = download_dir
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < needed + margin:
        raise InsufficientSpaceError(
            f"{entry.name} needs {_gb(needed + margin)} free in the model cache, "
            f"{_gb(free)} is free; free some space or set POLYDUB_CACHE_DIR to a larger disk"
        )


def _gb(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"
