"""The shape of the code: no import cycles between Backstep's own modules, nor between its two domain apps.

Two modules that import each other are a design error (house style, "Growing
without sprawl"): the shared part belongs in a third, pure module. The graph
is read from the source with `ast`, not by importing it, and holds only the
imports that run when a module loads: module-level `import` / `from`
statements, including those under a module-level `if`/`try`, but not those
inside functions (a documented cycle-breaker, with a comment naming it) nor
under `if TYPE_CHECKING:` (never run).

Edges go to the module named, not to the packages above it: importing
`patients.services.plans` also runs `patients/services/__init__.py`, but a
package that re-exports its modules is the house pattern, not a cycle.

Function-local imports are left out of the graph because they may break a
real cycle; so in the modules already cleared of reflexive ones
(LOCAL_IMPORTS_CLEARED) each must carry a comment naming that cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("clinic", "patients", "protocols", "monitoring", "exercise_media", "outcomes", "fhir", "reminders", "bench")
# The domain apps: one may import another, never both ways (monitoring and exercise_media build on patients).
# `clinic` is the project package (settings, URLs wiring every app) and the shared kernel (tenancy, audit, dates)
# at once, so it is not held to a direction.
DOMAIN_APPS = ("patients", "protocols", "monitoring", "exercise_media", "outcomes", "fhir", "reminders")

# Cycles known when this test was written, each being removed by its own part of issue 14. This list only
# shrinks: remove an entry when its cycle is gone (the test says when), never add one.
KNOWN_MODULE_CYCLES: set[frozenset[str]] = set()
# patients -> protocols is the one direction (protocols/__init__.py); the cycle that was here is gone.
KNOWN_APP_CYCLES: set[frozenset[str]] = set()
# Modules (and packages) cleared of reflexive function-local imports (house style, "Imports at the top"): in
# them an import inside a function must carry a comment naming the cycle it breaks. This list only grows, as
# each part of issue 14 lands, until it is every package; never remove an entry.
LOCAL_IMPORTS_CLEARED = ("clinic.celery", "clinic.clock", "patients.services", "patients.tasks")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def load_time_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module loads: module level, not in functions or classes."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node.test):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]


def imported_modules(node: ast.Import | ast.ImportFrom, *, module: str, path: Path,
                     modules: dict[str, Path]) -> set[str]:
    """The project modules one import statement loads: `from a import b` is module a.b when there is one, else a."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    found = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            found.add(f"{base}.{alias.name}")
        elif base in modules:
            found.add(base)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = set()
        for node in load_time_imports(tree):
            targets |= imported_modules(node, module=module, path=path, modules=modules)
        targets.discard(module)
        graph[module] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Groups of nodes that all reach each other (Tarjan's algorithm, iterative); only groups of two or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


def one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest path from the group's first node back to itself, for the failure message."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & group):
                if child == start:
                    return [*paths[node], start]
                if child not in paths:
                    paths[child] = [*paths[node], child]
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # unreachable for a strongly connected group


def app_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Which domain app imports which, from their non-test modules (tests may use any app to build data)."""
    apps: dict[str, set[str]] = {app: set() for app in DOMAIN_APPS}
    for module, targets in graph.items():
        app = module.split(".")[0]
        if app not in DOMAIN_APPS or ".tests" in f".{module}.":
            continue
        apps[app] |= {target.split(".")[0] for target in targets} & set(DOMAIN_APPS) - {app}
    return apps


def describe(graph: dict[str, set[str]], groups: list[set[str]]) -> str:
    return "\n".join(" -> ".join(one_cycle(graph, group)) for group in groups)


def test_no_import_cycle_between_modules():
    graph = import_graph()
    assert "clinic.tenancy" in graph and "patients.models" in graph  # the walk found the project
    groups = strongly_connected(graph)
    new = [group for group in groups if frozenset(group) not in KNOWN_MODULE_CYCLES]
    assert not new, "import cycles between modules (move the shared part into a third module):\n" + describe(
        graph, new)
    gone = KNOWN_MODULE_CYCLES - {frozenset(group) for group in groups}
    assert not gone, f"these known cycles are gone: remove them from KNOWN_MODULE_CYCLES: {gone}"


def test_no_import_cycle_between_domain_apps():
    graph = app_graph(import_graph())
    groups = strongly_connected(graph)
    new = [group for group in groups if frozenset(group) not in KNOWN_APP_CYCLES]
    assert not new, "the domain apps import each other (keep one direction):\n" + describe(graph, new)
    gone = KNOWN_APP_CYCLES - {frozenset(group) for group in groups}
    assert not gone, f"these known cycles are gone: remove them from KNOWN_APP_CYCLES: {gone}"


def function_local_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The import statements inside functions (at any depth), in source order."""
    found = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found[(node.lineno, node.col_offset)] = node
    return [found[key] for key in sorted(found)]


def unexplained_local_imports(source: str) -> list[str]:
    """Function-local imports without a comment naming a cycle, on their line or the line above."""
    lines = source.splitlines()
    bare = []
    for node in function_local_imports(ast.parse(source)):
        comment = " ".join(line.partition("#")[2] for line in lines[max(node.lineno - 2, 0):node.end_lineno])
        if "cycle" not in comment.lower():
            bare.append(f"line {node.lineno}: {ast.unparse(node)}")
    return bare


def test_cleared_modules_import_at_the_top():
    cleared = [(module, path) for module, path in project_modules().items()
               if any(module == name or module.startswith(f"{name}.") for name in LOCAL_IMPORTS_CLEARED)]
    assert {module for module, _ in cleared} >= set(LOCAL_IMPORTS_CLEARED)  # every entry names a real module
    found = {module: bare for module, path in cleared
             if (bare := unexplained_local_imports(path.read_text(encoding="utf-8")))}
    assert not found, ("imports inside functions (move them to the top, or name the cycle they break in a "
                       f"comment): {found}")


def test_a_local_import_needs_a_comment_naming_its_cycle():
    source = (
        "import datetime\n"
        "def f():\n    from django.utils import timezone\n"
        "def g():\n    # tasks import this module: a real cycle\n    from patients import tasks\n"
        "def h():\n    from clinic import notifications  # the service imports this task: a real cycle\n"
        "def k():\n    def inner():\n        import secrets\n"
    )
    assert unexplained_local_imports(source) == ["line 3: from django.utils import timezone",
                                                 "line 11: import secrets"]


def test_the_cycle_finder_finds_and_prints_a_cycle():
    """The finder itself: a three-module loop is found and printed; a chain is not a cycle."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    groups = strongly_connected(graph)
    assert groups == [{"a", "b", "c"}]
    assert describe(graph, groups) == "a -> b -> c -> a"


def test_load_time_imports_skip_functions_and_type_checking():
    tree = ast.parse(
        "import clinic.models\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from patients.models import Patient\n"
        "try:\n    from protocols import engine\nexcept ImportError:\n    pass\n"
        "def f():\n    from patients import services\n"
    )
    names = [ast.unparse(node) for node in load_time_imports(tree)]
    assert names == ["import clinic.models", "from typing import TYPE_CHECKING", "from protocols import engine"]
