"""The catalogue as a Markdown table, for the README (kept in step by a test).

`python -m polydub.engines.models.readme_table` rewrites the table between the README's
markers; the test fails when the catalogue changed and the README was not regenerated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from polydub.engines.models.catalogue import BUILTIN, STAGE_NAMES, ModelEntry

START = "<!-- models-table:start (generated: python -m polydub.engines.models.readme_table) -->"
END = "<!-- models-table:end -->"


def runs_on(entry: ModelEntry) -> str:
    """CPU / GPU in a word or three, from the entry's needs."""
    if entry.needs.startswith("GPU"):
        return "GPU (CPU slow)"
    return "CPU or GPU" if "GPU" in entry.needs else "CPU"


def _languages(entry: ModelEntry) -> str:
    if entry.languages == ("*",):
        return "all"
    if len(entry.languages) > 8:
        return f"{len(entry.languages)} languages"
    return ", ".join(entry.languages)


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def markdown_table(entries: tuple[ModelEntry, ...] = BUILTIN) -> str:
    rows = [
        "| Model | Stage | Size | Licence | Languages | Runs on |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    order = list(STAGE_NAMES)
    for e in sorted(entries, key=lambda e: order.index(e.stage)):  # stable: catalogue order
        cells = [f"`{e.name}`", STAGE_NAMES[e.stage], _size(e.size), e.licence,
                 _languages(e), runs_on(e)]  # fmt: skip
        rows.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(rows)


def with_table(readme: str) -> str:
    """`readme` with the text between the markers replaced by the current table.

    Raises:
        ValueError: the markers are missing.
    """
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError("README has no models-table markers")
    return f"{head}{START}\n{markdown_table()}\n{END}{tail}"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
