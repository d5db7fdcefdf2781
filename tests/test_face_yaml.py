"""A face.yaml that extends another face: its fields override the parent's, mappings merged and
lists replaced; files resolve against the folder that names them; a cycle or a missing parent is
one line naming the file."""

from __future__ import annotations

import shutil

import pytest
import yaml

from facetwin.errors import ConfigError
from facetwin.face_config import load_face_config
from facetwin.face_yaml import face_files
from facetwin.faces import faces_root, resolve_face
from tests.face_edits import config_error


def write(path, data) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_a_variant_overrides_and_inherits(tmp_path):
    mira = load_face_config(resolve_face("mira"))
    path = write(tmp_path / "variant" / "face.yaml", {
        "extends": "mira", "name": "variant",
        "skin": {"physics": {"mass_g": 200.0}, "glued": [1, 2, 3]},
        "eyes": {"left": {"radius": 11.0}},
    })
    config = load_face_config(path)
    assert config.name == "variant"
    assert config.skin.physics.mass_g == 200.0 and config.skin.physics.stretch == mira.skin.physics.stretch
    assert config.skin.glued == [1, 2, 3]  # a list replaces the parent's
    assert config.eyes["left"].radius == 11.0 and config.eyes["left"].iris == mira.eyes["left"].iris
    assert config.actuators == mira.actuators and config.regions == mira.regions
    assert config.skin.mesh == faces_root().resolve() / "mira" / "skin.obj"  # the parent's file, no copy
    assert face_files(path) == [tmp_path / "variant" / "face.yaml", faces_root().resolve() / "mira" / "face.yaml"]


def test_files_resolve_against_the_folder_that_names_them(tmp_path):
    base = tmp_path / "base"
    shutil.copytree(resolve_face("mira").parent, base, ignore=shutil.ignore_patterns("policies", "targets"))
    (base / "skin.obj").rename(base / "mesh.obj")
    edit = yaml.safe_load((base / "face.yaml").read_text())
    edit["skin"]["mesh"] = "mesh.obj"
    write(base / "face.yaml", edit)
    child = write(tmp_path / "variants" / "child" / "face.yaml",
                  {"extends": "../../base", "name": "child", "skin": {"fit": "fit.npz"}})
    grandchild = write(tmp_path / "grandchild.yaml", {"extends": "variants/child/face.yaml", "name": "grandchild"})
    config = load_face_config(grandchild)
    assert config.name == "grandchild"
    assert config.skin.mesh == (base / "mesh.obj").resolve()
    assert config.skin.fit == (tmp_path / "variants" / "child" / "fit.npz").resolve()
    assert load_face_config(child).skin.mesh == config.skin.mesh


def test_the_bundled_variant_is_mira_but_for_what_it_names():
    mira = load_face_config(resolve_face("mira")).model_dump()
    tissue = load_face_config(resolve_face("mira-tissue")).model_dump()
    assert (mira["skin"].pop("fit"), tissue["skin"].pop("fit").name) == (None, "skin_fit.npz")
    assert (mira["skin"]["physics"].pop("foundation_mm"), tissue["skin"]["physics"].pop("foundation_mm")) == (0, 40)
    for config in (mira, tissue):
        del config["name"], config["description"]
    assert tissue == mira
    assert len(resolve_face("mira-tissue").read_text().splitlines()) < 60


def test_a_cycle_names_the_file(tmp_path):
    write(tmp_path / "a" / "face.yaml", {"extends": "../b", "name": "a"})
    path = write(tmp_path / "b" / "face.yaml", {"extends": "../a", "name": "b"})
    message = config_error(path)
    assert "cycle" in message


def test_a_missing_parent_names_the_file(tmp_path):
    path = write(tmp_path / "face" / "face.yaml", {"extends": "nobody", "name": "orphan"})
    message = config_error(path)
    assert "nobody" in message and "mira" in message  # what was asked for, and what there is


def test_a_bad_parent_names_the_parent(tmp_path):
    (tmp_path / "parent").mkdir()
    (tmp_path / "parent" / "face.yaml").write_text("name: [unclosed\n")
    child = write(tmp_path / "child" / "face.yaml", {"extends": "../parent", "name": "child"})
    with pytest.raises(ConfigError) as info:
        load_face_config(child)
    assert str(info.value).startswith(f"{(tmp_path / 'parent' / 'face.yaml').resolve()}: not valid YAML")
