"""The viewer's control rules without a browser: one controller, the gate, hold then relax, stop."""

import numpy as np
import pytest

from facetwin.app.view_control import Mode, ViewControl
from facetwin.app.view_poses import command_string, save_pose
from facetwin.errors import CommandError
from facetwin.face_config import load_face_config


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_one_client_controls_and_the_others_watch(spec):
    control = ViewControl(spec)
    assert control.claim(1) and not control.claim(2)
    control.set_actuator(1, "jaw_open", 0.5)
    with pytest.raises(CommandError, match="client 2 is watching"):
        control.set_actuator(2, "jaw_open", -0.5)
    assert control.target[spec.index("jaw_open")] == pytest.approx(0.5)
    control.take(2)
    control.set_actuator(2, "jaw_open", -0.5)
    assert control.accepted == 2 and control.tick()[0] is Mode.DRIVE


def test_bad_commands_never_become_the_target(spec):
    control = ViewControl(spec)
    control.claim(0)
    with pytest.raises(CommandError, match="non-finite"):
        control.set_actuator(0, "jaw_open", float("nan"))
    with pytest.raises(CommandError, match="unknown actuator"):
        control.set_actuator(0, "no_such", 0.1)
    control.set_actuator(0, "jaw_open", 7.0)  # clipped by the gate, as step clips it
    assert control.target.max() <= 1.0 and np.isfinite(control.target).all()


def test_a_lost_controller_holds_then_relaxes_once(spec):
    clock = Clock()
    control = ViewControl(spec, hold_s=2.0, clock=clock)
    control.claim(0)
    control.set_actuator(0, "jaw_open", 0.8)
    control.release(0)
    mode, command = control.tick()
    assert mode is Mode.HOLD and command[spec.index("jaw_open")] == pytest.approx(0.8)
    clock.now = 2.5
    mode, command = control.tick()
    assert mode is Mode.RELAX and np.array_equal(command, spec.neutral_command)
    assert control.tick()[0] is Mode.STOPPED
    assert control.claim(3)  # the next page takes over, and its command drives again
    control.set_actuator(3, "jaw_open", 0.1)
    assert control.tick()[0] is Mode.DRIVE


def test_stop_relaxes_once_and_stays_stopped(spec):
    control = ViewControl(spec)
    control.claim(0)
    control.set_actuator(0, "jaw_open", 0.8)
    control.stop()
    assert control.tick()[0] is Mode.RELAX
    assert control.tick()[0] is Mode.STOPPED
    control.stop()  # a second press does not ramp again
    assert control.tick()[0] is Mode.STOPPED


def test_sliders_kept_as_a_command_string_and_a_pose(spec, tmp_path):
    import shutil

    from facetwin.faces import resolve_face
    from facetwin.sim.poses import parse_command
    from facetwin.sim.rig import load_face

    folder = tmp_path / "face"
    shutil.copytree(resolve_face("mira").parent, folder, ignore=shutil.ignore_patterns("policies", "targets"))
    model = load_face(folder)
    command = spec.neutral_command.copy()
    command[spec.index("jaw_open")] = 0.25
    text = command_string(spec, command)
    assert text == "jaw_open=0.250"
    assert np.allclose(parse_command(model.config, text), command, atol=1e-3)
    save_pose(model, "half_open", command)
    config = load_face_config(folder / "face.yaml")
    assert config.poses["half_open"] == {"jaw_open": 0.25} and "smile" in config.poses
    with pytest.raises(CommandError, match="pose name"):
        save_pose(model, "Bad Name", command)
