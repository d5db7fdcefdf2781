"""Calibrations are keyed by robot id and kind of device: practice on an emulator never touches
the hardware's file, every command that opens a backend takes `--robot-id`, and a file that will
not do says which command redoes it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from facetwin.app.backends import open_backend
from facetwin.app.cli import app
from facetwin.errors import ConfigError
from facetwin.hardware.backend_url import open_hardware_face
from facetwin.hardware.calibration import calibration_path, default_calibration, save_calibration

pytestmark = pytest.mark.usefixtures("calibration_dir")





def _saved(spec, robot_id: str, emulated: bool, neutral_shift: int = 0):
    calibration = default_calibration(spec, robot_id, "maestro", "quarter-microseconds", 6000 + neutral_shift, 2000)
    return save_calibration(calibration.model_copy(update={"emulated": emulated}))


def test_an_emulator_and_the_hardware_never_share_a_file(spec, tmp_path):
    assert calibration_path("eva-1", "maestro") == tmp_path / "eva-1" / "maestro.json"
    assert calibration_path("eva-1", "maestro", emulated=True) == tmp_path / "eva-1" / "emulated-maestro.json"
    assert calibration_path("eva-1", "dynamixel") == tmp_path / "eva-1" / "dynamixel.json"


@pytest.mark.parametrize("robot_id", ["../eva", ".hidden", "a/b", ""])
def test_a_robot_id_that_is_not_a_plain_name_is_refused(robot_id):
    with pytest.raises(ConfigError, match=r"^robot id .*: use letters, digits, '_', '\.' and '-', not starting"):
        calibration_path(robot_id, "maestro")


def test_an_emulated_face_loads_the_emulators_calibration_of_the_robot(spec):
    _saved(spec, "eva-1", emulated=True, neutral_shift=100)
    with open_hardware_face("emulated:maestro", spec, robot_id="eva-1", pacing=False) as face:
        assert face.driver.map.min[0] == 4100  # the saved one (6100 - 2000), not the default 4000
    with open_hardware_face("emulated:maestro", spec, pacing=False) as face:
        assert face.driver.map.min[0] == 4000  # no robot named: the default calibration


def test_a_hardware_calibration_copied_over_the_emulators_is_refused(spec, tmp_path):
    real = _saved(spec, "eva-1", emulated=False)
    calibration_path("eva-1", "maestro", emulated=True).write_text(real.read_text())
    with pytest.raises(ConfigError) as caught:
        open_hardware_face("emulated:maestro", spec, robot_id="eva-1")
    assert str(caught.value) == (
        f"{tmp_path / 'eva-1' / 'emulated-maestro.json'}: calibration 'eva-1' was made on a real maestro, not an "
        f"emulated one; redo it with `facetwin calibrate --backend emulated:maestro --robot-id eva-1`")


def test_a_missing_calibration_names_the_command_that_makes_it(spec, tmp_path):
    with pytest.raises(ConfigError) as caught:
        open_hardware_face("maestro:/dev/ttyACM0", spec, robot_id="eva-1")
    assert str(caught.value) == (
        f"{tmp_path / 'eva-1' / 'maestro.json'}: no calibration for robot 'eva-1'; make it with "
        f"`facetwin calibrate --backend maestro:/dev/ttyACM0 --robot-id eva-1`")


@pytest.mark.parametrize("old_name", ["eva-1.json", "eva-1-maestro.json"])
def test_a_calibration_in_the_older_naming_gets_a_hint(spec, tmp_path, old_name):
    (tmp_path / old_name).write_text(_saved(spec, "eva-1", emulated=False).read_text())
    calibration_path("eva-1", "maestro").unlink()
    with pytest.raises(ConfigError) as caught:
        open_hardware_face("maestro:/dev/ttyACM0", spec, robot_id="eva-1")
    assert str(caught.value) == (
        f"{tmp_path / old_name}: a calibration in the older naming, which does not say whether it was made on "
        f"hardware or an emulator; redo it with `facetwin calibrate --backend maestro:/dev/ttyACM0 --robot-id eva-1`")


def test_the_default_robot_is_the_face(spec, tmp_path):
    with pytest.raises(ConfigError, match=r"mira/maestro\.json: no calibration for robot 'mira'; make it with "
                                          r"`facetwin calibrate --backend maestro:/dev/ttyACM0 --robot-id mira`$"):
        open_hardware_face("maestro:/dev/ttyACM0", spec)


def test_the_twin_refuses_a_robot_id():
    with pytest.raises(ConfigError, match=r"^robot id 'eva-1': the sim backend has no calibration; name a hardware "
                                          r"or emulated:<kind> backend$"):
        open_backend("sim", robot_id="eva-1")


@pytest.mark.parametrize("command", [
    ["mimic", "--source", "webcam:0"],
    ["babble", "--out", "data", "--samples", "1"],
])
def test_mimic_and_babble_pass_the_robot_id_to_the_face(command, tmp_path):
    result = CliRunner().invoke(app, [*command, "--backend", "emulated:maestro", "--robot-id", "eva-1"])
    assert isinstance(result.exception, ConfigError), result.output
    assert str(result.exception) == (
        f"{tmp_path / 'eva-1' / 'emulated-maestro.json'}: no calibration for robot 'eva-1'; make it with "
        f"`facetwin calibrate --backend emulated:maestro --robot-id eva-1`")


def test_a_calibration_that_no_longer_validates_names_the_command_that_redoes_it(spec, tmp_path):
    path = _saved(spec, "eva-1", emulated=False)
    path.write_text(path.read_text().replace('"unit"', '"units"', 1))  # a field this version does not know
    with pytest.raises(ConfigError) as caught:
        open_hardware_face("maestro:/dev/ttyACM0", spec, robot_id="eva-1")
    assert str(caught.value) == (
        f"{path}: unit: Field required; redo it with `facetwin calibrate --backend maestro:/dev/ttyACM0 "
        f"--robot-id eva-1`")
    path.write_text("{")
    with pytest.raises(ConfigError, match=r"maestro\.json: not a readable JSON file \(.*\); redo it with "
                                          r"`facetwin calibrate --backend maestro:/dev/ttyACM0 --robot-id eva-1`$"):
        open_hardware_face("maestro:/dev/ttyACM0", spec, robot_id="eva-1")
