"""protocols is the library and patients uses it: no module of protocols imports patients (see protocols/__init__)."""

from __future__ import annotations

import ast
from pathlib import Path

import protocols

PACKAGE = Path(protocols.__file__).parent


def imported_modules(tree: ast.AST) -> set[str]:
    """Every module an `import` or `from ... import` anywhere in the file names, function-local ones included."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_module_of_protocols_imports_patients():
    offenders = {
        str(path.relative_to(PACKAGE.parent)): sorted(name for name in imported_modules(ast.parse(path.read_text()))
                                                     if name == "patients" or name.startswith("patients."))
        for path in PACKAGE.rglob("*.py")
        if "tests" not in path.relative_to(PACKAGE).parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}
