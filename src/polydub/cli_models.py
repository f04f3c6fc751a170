"""`polydub models list | pull | verify | remove`: bigger models, fetched only when asked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from polydub.config import Settings
from polydub.engines.models.catalogue import PACKS, STAGE_NAMES, ModelEntry, load_catalogue
from polydub.engines.models.hub import HubClient
from polydub.engines.models.pull import (
    UnknownModelError,
    pull,
    remove,
    resolve_names,
    verify,
)
from polydub.engines.models.store import ModelStore
from polydub.errors import InvalidInputError


def catalogue(settings: Settings) -> dict[str, ModelEntry]:
    try:
        return load_catalogue(settings.model_catalogue)
    except ValueError as exc:
        raise InvalidInputError(str(exc), param="model_catalogue") from exc


def print_models(settings: Settings, out: Console, *, long: bool = False) -> None:
    """The catalogue as a table; `long` adds each model's needs and repository."""
    pulled = ModelStore(settings.models_dir).pulled()
    table = Table("Model", "Stage", "Size", "Licence", "Languages", "Pulled")
    table.columns[0].no_wrap = True
    if long:
        table.add_column("Needs")
        table.add_column("Source")
    entries = catalogue(settings)
    for entry in sorted(entries.values(), key=lambda e: list(STAGE_NAMES).index(e.stage)):
        row = [
            entry.name,
            STAGE_NAMES[entry.stage],
            human_size(entry.size),
            entry.licence,
            "all" if entry.languages == ("*",) else ", ".join(entry.languages),
            "yes" if entry.name in pulled else "",
        ]
        if long:
            row += [entry.needs, f"{entry.repo}@{(entry.revision or 'main')[:12]}"]
        table.add_row(*row)
    for name, model in sorted(pulled.items()):  # pulled from a catalogue no longer loaded
        if name not in entries:
            row = [name, STAGE_NAMES.get(model.stage, model.stage), "", model.licence,
                   ", ".join(model.languages), "yes"]  # fmt: skip
            table.add_row(*row, *(["", model.repo] if long else []))
    out.print(table)
    out.print("Packs: " + "; ".join(f"{p} = {', '.join(n)}" for p, n in PACKS.items()))


def pull_models(
    settings: Settings, names: list[str], pack: str | None, console: Console
) -> list[str]:
    """Pull each named model (and the pack's); returns the names pulled."""
    if pack is not None and pack not in PACKS:
        raise UnknownModelError(f"unknown pack {pack!r}; choose one of {', '.join(PACKS)}")
    wanted = [*(PACKS[pack] if pack else ()), *names]
    if not wanted:
        raise InvalidInputError("name a model or a --pack; `polydub models list` shows them")
    entries = resolve_names(catalogue(settings), wanted)
    store = ModelStore(settings.models_dir)
    with HubClient() as client, _bars(console) as bars:
        for entry in entries:
            model = pull(entry, store, client, progress=bars)
            console.print(
                f"pulled {entry.name} ({entry.repo}@{model.commit[:12]}, {entry.licence})"
            )
    return [e.name for e in entries]


def verify_models(settings: Settings, names: list[str], console: Console) -> bool:
    store = ModelStore(settings.models_dir)
    pulled = store.pulled()
    if not pulled:
        console.print("no models pulled")
        return True
    problems = verify(store, names or None)
    for p in problems:
        console.print(f"[bold red]{p.model}[/]: {p.path}: {p.problem}")
    checked = [n for n in pulled if not names or n in names]
    if not problems:
        console.print(f"verified {', '.join(sorted(checked))}")
    return not problems


def remove_model(settings: Settings, name: str, console: Console) -> None:
    remove(ModelStore(settings.models_dir), name)
    console.print(f"removed {name}")


@contextmanager
def _bars(console: Console) -> Iterator:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:

        def start(label: str, total: int):
            task = progress.add_task(label, total=total)
            return lambda n: progress.advance(task, n)

        yield start


def human_size(n: int) -> str:
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
