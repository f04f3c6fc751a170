"""Every `from polydub.x import name` names something that module defines, including imports
inside functions and in bench/ and tests/: a lazy import of a moved name fails only when that
code path runs (`polydub bench` broke that way once)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import polydub

REPO = Path(polydub.__file__).parents[2]
SOURCES = ("src/polydub", "bench", "tests")


def polydub_from_imports(path: Path) -> list[tuple[int, str, str]]:
    """(line, module, name) of each `from polydub... import name` in `path`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "polydub" or node.module.startswith("polydub."):
                found += [(node.lineno, node.module, a.name) for a in node.names]
    return found


def test_every_imported_polydub_name_exists():
    missing = []
    for root in SOURCES:
        for path in sorted((REPO / root).rglob("*.py")):
            for line, module_name, name in polydub_from_imports(path):
                module = importlib.import_module(module_name)
                if name == "*" or hasattr(module, name):
                    continue
                try:  # a submodule imported by name (from polydub.x import submodule)
                    importlib.import_module(f"{module_name}.{name}")
                except ModuleNotFoundError:
                    missing.append(f"{path.relative_to(REPO)}:{line}: {module_name}.{name}")
    assert not missing, "imports of names that do not exist:\n" + "\n".join(missing)
