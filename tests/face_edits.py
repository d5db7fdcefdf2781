"""Editing a copy of a bundled face and checking the one-line error its face.yaml then gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from facetwin.errors import ConfigError
from facetwin.face_config import load_face_config
from facetwin.faces import resolve_face


def copy_face(tmp_path: Path, name: str | None = None) -> Path:
    target = tmp_path / "face"
    shutil.copytree(resolve_face(name).parent, target)
    return target


def edit_face(face_dir: Path, change) -> str:
    """Apply `change` to the parsed face.yaml of `face_dir`, write it back, return its path."""
    path = face_dir / "face.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    return str(path)


def config_error(path) -> str:
    """The ConfigError loading `path` raises: one line that names the file."""
    with pytest.raises(ConfigError) as info:
        load_face_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message
