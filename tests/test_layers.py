"""Each room imports only the rooms the design allows; sim and hardware meet only in the contract."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ALLOWED = {
    "assets": {"facetwin"},
    "sim": {"facetwin"},
    "perception": {"facetwin"},
    "envs": {"facetwin", "sim"},
    "agents": {"facetwin", "sim", "perception", "envs"},
    "hardware": {"facetwin", "perception"},
}


def _room_of(module: str) -> str | None:
    """The room a `facetwin...` module lives in ("facetwin" for the contract), else None."""
    parts = module.split(".")
    if parts[0] != "facetwin":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else "facetwin"


def _imports(tree: ast.AST, top_level_only: bool = False) -> list[str]:
    nodes = tree.body if top_level_only else ast.walk(tree)
    modules = []
    for node in nodes:
        if isinstance(node, ast.Import):
            modules += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
    return modules


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_what_it_may(room):
    for path in (REPO / room).rglob("*.py"):
        rooms = {_room_of(m) for m in _imports(ast.parse(path.read_text()))} - {None, room}
        assert rooms <= ALLOWED[room], f"{path.relative_to(REPO)} imports {sorted(rooms - ALLOWED[room])}"


def test_contract_imports_rooms_only_lazily():
    for path in (REPO / "facetwin").glob("*.py"):
        rooms = {_room_of(m) for m in _imports(ast.parse(path.read_text()), top_level_only=True)}
        assert rooms <= {None, "facetwin"}, f"{path.name} imports a room at import time"
