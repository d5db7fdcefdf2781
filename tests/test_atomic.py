"""Every file renamed into place goes through facetwin/atomic.py, which leaves either the old file
or the whole new one, and no temporary file behind."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from facetwin.atomic import AtomicPath, atomic_write
from facetwin.video import VideoWriter

REPO = Path(__file__).resolve().parents[1]
RENAMES = {"replace", "rename"}


def renames_in(tree: ast.AST) -> list[int]:
    """Lines that call os.replace / os.rename or import them from os."""
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in RENAMES
                and isinstance(node.value, ast.Name) and node.value.id == "os"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines += [node.lineno for alias in node.names if alias.name in RENAMES]
    return lines


def test_only_the_atomic_helper_renames_files_into_place():
    sources = [p for p in REPO.rglob("*.py") if not {".venv", "build"} & set(p.relative_to(REPO).parts)]
    offenders = [f"{path.relative_to(REPO)}:{line}" for path in sources
                 if path != REPO / "facetwin" / "atomic.py" for line in renames_in(ast.parse(path.read_text()))]
    assert not offenders, f"rename a file into place with facetwin.atomic, not by hand: {offenders}"


def test_the_checker_sees_a_rename():
    assert renames_in(ast.parse("import os\nos.replace('a', 'b')\n")) == [2]
    assert renames_in(ast.parse("from os import rename\n")) == [1]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "data.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(path, "w") as handle:
        handle.write("half")
        raise RuntimeError
    assert path.read_text() == "old"
    assert list(tmp_path.iterdir()) == [path]


def test_a_temporary_path_keeps_the_suffix_and_lands_in_place(tmp_path):
    path = tmp_path / "sub" / "arrays.npz"
    with AtomicPath(path) as tmp:
        assert tmp.parent == path.parent and tmp.suffix == ".npz" and tmp != path
        np.savez(tmp, x=np.arange(3))  # np.savez appends .npz to a name without it
    with np.load(path) as data:
        assert data["x"].tolist() == [0, 1, 2]
    assert list(path.parent.iterdir()) == [path]


def test_video_writer_crops_odd_sides_and_renames_into_place(tmp_path):
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, fps=10) as video:
        for shade in range(3):
            video.write(np.full((33, 45, 3), 80 * shade, np.uint8))
        video.write(np.zeros((64, 64, 3), np.uint8))  # a still of another size is resized
    import imageio.v2 as imageio

    reader = imageio.get_reader(path)
    assert reader.count_frames() == 4 and reader.get_data(0).shape == (32, 44, 3)
    assert list(tmp_path.iterdir()) == [path]


def test_an_aborted_video_leaves_nothing(tmp_path):
    path = tmp_path / "clip.mp4"
    with pytest.raises(RuntimeError), VideoWriter(path, fps=10) as video:
        video.write(np.zeros((32, 32, 3), np.uint8))
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
