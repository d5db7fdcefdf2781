"""Each room imports only the rooms the design allows, read from the code's imports (also those
inside functions): the core imports no room, sim and hardware meet only in the core, and only the
app, the top floor, composes them. No room imports the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOMS = ("assets", "sim", "perception", "envs", "agents", "hardware", "app")
ALLOWED = {
    "facetwin": set(),
    "assets": {"facetwin"},
    "sim": {"facetwin"},
    "perception": {"facetwin"},
    "envs": {"facetwin", "sim"},
    "agents": {"facetwin", "sim", "perception", "envs"},
    "hardware": {"facetwin", "perception"},
    "app": {"facetwin", *ROOMS} - {"app"},
}
FOLDERS = {"facetwin": "facetwin", **{room: room for room in ROOMS}}


def room_of(module: str) -> str | None:
    """The room a `facetwin...` module lives in ("facetwin" for the core), else None."""
    parts = module.split(".")
    if parts[0] != "facetwin":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else "facetwin"


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module an import statement anywhere in `tree` names, `from x import y` as x.y too
    (y may be a module)."""
    modules = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
            modules += [f"{node.module}.{a.name}" for a in node.names]
    return modules


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_what_it_may(room):
    paths = list((REPO / FOLDERS[room]).rglob("*.py"))
    assert paths, f"room {room} has no modules"
    for path in paths:
        rooms = {room_of(m) for m in imported_modules(ast.parse(path.read_text()))} - {None, room}
        assert rooms <= ALLOWED[room], f"{path.relative_to(REPO)} imports {sorted(rooms - ALLOWED[room])}"


def test_the_checker_sees_an_import_inside_a_function():
    tree = ast.parse("def f():\n    from facetwin.app.backends import open_backend\n")
    assert {room_of(m) for m in imported_modules(tree)} == {"app"}
