"""A malformed face.yaml gets one clear line naming the file and the field, never a traceback."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from facetwin.errors import ConfigError
from facetwin.face_config import load_face_config
from facetwin.faces import resolve_face
from tests.face_edits import config_error, copy_face, edit_face


@pytest.fixture
def face_dir(tmp_path):
    return copy_face(tmp_path)


def test_bundled_face_loads():
    config = load_face_config(resolve_face(None))
    assert config.name == "mira"


def test_missing_field(face_dir):
    path = edit_face(face_dir, lambda d: d["actuators"][0].pop("range"))
    assert "actuators[0].range" in config_error(path)


def test_wrong_type(face_dir):
    path = edit_face(face_dir, lambda d: d.__setitem__("control_hz", "fast"))
    assert "control_hz" in config_error(path)


def test_unknown_vertex_index(face_dir):
    path = edit_face(face_dir, lambda d: d["actuators"][2]["anchors"].append(9999))
    message = config_error(path)
    assert "actuators[2].anchors" in message and "9999" in message


def test_nan_value(face_dir):
    path = edit_face(face_dir, lambda d: d["actuators"][1].__setitem__("range", [0.0, math.nan]))
    assert "actuators[1].range" in config_error(path)


def test_nan_in_servo(face_dir):
    path = edit_face(face_dir, lambda d: d["actuators"][0]["servo"].__setitem__("tau_ms", math.nan))
    assert "actuators[0].servo.tau_ms" in config_error(path)


def test_empty_range(face_dir):
    path = edit_face(face_dir, lambda d: d["actuators"][0].__setitem__("range", [5.0, 1.0]))
    assert "empty" in config_error(path)


def test_unknown_mirror_partner(face_dir):
    path = edit_face(face_dir, lambda d: d["actuators"][0].__setitem__("mirror", "nobody"))
    assert "nobody" in config_error(path)


def test_pose_with_unknown_actuator(face_dir):
    path = edit_face(face_dir, lambda d: d["poses"].__setitem__("odd", {"ear_wiggle": 0.5}))
    assert "ear_wiggle" in config_error(path)


def test_broken_mirror_map(face_dir):
    def cycle(d):
        # 0, 1 and 2 lie on the midline (their own mirrors); a 3-cycle is a permutation but no mirror.
        assert d["landmark_mirror"][:3] == [0, 1, 2]
        d["landmark_mirror"][:3] = [1, 2, 0]

    assert "does not mirror back" in config_error(edit_face(face_dir, cycle))


def test_not_yaml(face_dir):
    path = face_dir / "face.yaml"
    path.write_text("name: [unclosed\n")
    assert "not valid YAML" in config_error(path)


def test_missing_mesh(face_dir):
    (face_dir / "skin.obj").unlink()
    assert "skin.mesh" in config_error(face_dir / "face.yaml")


def test_cli_reports_one_line(face_dir):
    path = edit_face(face_dir, lambda d: d["actuators"][3].pop("kind"))
    result = subprocess.run([sys.executable, "-m", "facetwin.app.cli", "info", "--face", path],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "actuators[3].kind" in lines[0]


def _jaw(data: dict) -> dict:
    return next(a for a in data["actuators"] if a["name"] == "jaw_open")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: _jaw(d)["weights"].__setitem__(0, 1e21),
     "actuators[22].weights[0]: Input should be less than or equal to 5 (got 1e+21)"),
    (lambda d: _jaw(d).__setitem__("pivot", [0.0, -46.4, -1e4]),
     "actuators[22].pivot[2]: Input should be greater than or equal to -200 (got -10000.0)"),
    (lambda d: _jaw(d).__setitem__("range", [-1.0, 1800.0]),
     "actuators[22]: range [-1.0, 1800.0] goes beyond the plausible +-90 deg"),
    (lambda d: d["actuators"][0].__setitem__("range", [0.0, 8000.0]),
     "actuators[0]: range [0.0, 8000.0] goes beyond the plausible +-50 mm"),
    (lambda d: d["eyes"]["left"].__setitem__("center", [31.5, 0.0, 1e21]),
     "eyes.left.center[2]: Input should be less than or equal to 200 (got 1e+21)"),
    (lambda d: d["actuators"][3].__setitem__("range", [False, True]),
     "actuators[3].range[0]: a boolean where a number or name belongs (no face field is yes/no)"),
])
def test_implausible_values_and_booleans_are_refused(face_dir, change, expected):
    path = edit_face(face_dir, change)
    assert config_error(path) == f"{path}: {expected}"


def test_a_key_given_twice_is_refused(face_dir):
    path = face_dir / "face.yaml"
    path.write_text(path.read_text().replace("control_hz: 30.0\n", "control_hz: 30.0\ncontrol_hz: 60.0\n"))
    assert config_error(path) == f"{path}: not valid YAML at line 4: key 'control_hz' is given twice"


def test_a_vertex_far_from_the_head_is_refused(face_dir):
    mesh = face_dir / "skin.obj"
    lines = mesh.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("v "))
    lines[first] = "v 0 0 3e22"
    mesh.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as error:
        load_face_config(face_dir / "face.yaml")
    assert str(error.value) == (f"{mesh.resolve()}: vertex 1 at [0.0, 0.0, 3e+22] lies beyond the plausible "
                                f"+-200 mm of a head")
