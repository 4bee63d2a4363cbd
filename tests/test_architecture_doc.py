"""ARCHITECTURE.md stays true: every module and name it walks a newcomer through exists."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "ARCHITECTURE.md"
# `path/to/module.py::name`, `path/to/module.py`, `path/to/package/` or a template/static file, in backticks.
REFERENCE = re.compile(r"`((?:clinic|patients|protocols|monitoring|exercise_media|fhir|templates|static|tests)"
                       r"/[\w/.\-]*)(?:::(\w+))?`")


def references() -> list[tuple[str, str | None]]:
    return sorted(set(REFERENCE.findall(DOC.read_text())), key=lambda ref: (ref[0], ref[1] or ""))


def top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def test_the_walk_names_modules_and_functions():
    refs = references()
    assert len(refs) >= 40, "the walk should name the module at each step"
    assert any(name for _, name in refs)


@pytest.mark.parametrize(("path", "name"), references(), ids=lambda value: value or "")
def test_named_module_exists(path, name):
    target = ROOT / path
    assert target.exists(), f"ARCHITECTURE.md names {path}, which does not exist"
    if name:
        assert name in top_level_names(target), f"ARCHITECTURE.md names {path}::{name}, which is not defined there"


def test_the_old_single_modules_are_gone():
    """The split packages replaced these; a file coming back would make the walk wrong."""
    for old in ("patients/services.py", "patients/selectors.py", "patients/views.py", "patients/reports.py",
                "patients/models.py", "patients/demo.py"):
        assert not (ROOT / old).exists(), old
