"""The package's import graph: no import loops, and dependencies only point downward
(api/cli -> jobs -> pipeline -> engines/media/subtitles -> domain), counting imports inside
functions too, since a hidden import is still a dependency."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import polydub

PACKAGE_ROOT = Path(polydub.__file__).parent

# What each layer may import besides itself and the leaf modules (config, errors).
ALLOWED = {
    "domain": set(),
    "media": {"domain"},
    "subtitles": {"domain", "media"},
    "storage": set(),
    "engines": {"domain", "media", "subtitles"},
    "pipeline": {"domain", "media", "subtitles", "engines", "storage"},
    "jobs": {"domain", "media", "subtitles", "engines", "storage", "pipeline"},
}
# Leaf modules every layer may use: settings, errors (and the path scrubber they use), the
# running job's cancel check, the request id of the work in hand and the logging set-up.
LEAVES = {"config", "errors", "server_paths", "cancellation", "request_ids", "logging_setup"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the polydub modules it imports anywhere in its body."""
    modules = {module_name(p): p for p in PACKAGE_ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components with more than one module: the import loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return loops


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_the_package_has_no_import_loops():
    assert strongly_connected(import_graph()) == []


def test_dependencies_point_downward():
    wrong = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if layer(module) in ALLOWED
        for target in targets
        if layer(target) not in ALLOWED[layer(module)] | LEAVES | {layer(module), "polydub"}
    )
    assert wrong == []


def test_the_checks_see_a_loop_and_an_upward_import():
    # The checker itself: a loop through a function-level import is found.
    graph = {"polydub.jobs.a": {"polydub.jobs.b"}, "polydub.jobs.b": {"polydub.jobs.a"}}
    assert strongly_connected(graph) == [["polydub.jobs.a", "polydub.jobs.b"]]
    assert layer("polydub.api.routes.files") == "api" and "api" not in ALLOWED["jobs"]
