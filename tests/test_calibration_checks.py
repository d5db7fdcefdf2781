"""A calibration is checked against the device's own range and the actuator's neutral on load,
before anything moves, and refused with one line naming the actuator, the value and the command
that redoes it."""

from __future__ import annotations

import pytest

from facetwin.errors import ConfigError
from facetwin.hardware.backend_url import open_hardware_face, parse_backend
from facetwin.hardware.bus_kinds import BUS_KINDS
from facetwin.hardware.calibration import default_calibration, save_calibration
from facetwin.hardware.hardware_face import HardwareFace
from facetwin.hardware.pca9685.bus import PCA9685Bus

pytestmark = pytest.mark.usefixtures("calibration_dir")





def _calibration(spec, kind: str, **first_actuator):
    bus = BUS_KINDS[kind].bus
    calibration = default_calibration(spec, "eva-1", kind, bus.unit, bus.default_center, bus.default_half_span,
                                      BUS_KINDS[kind].default_channels(spec.n_actuators))
    first = calibration.actuators[0].model_copy(update=first_actuator)
    return calibration.model_copy(update={"actuators": (first, *calibration.actuators[1:])})


def _refusal(spec, tmp_path, kind: str, **first_actuator) -> str:
    save_calibration(_calibration(spec, kind, **first_actuator))
    with pytest.raises(ConfigError) as caught:
        open_hardware_face(f"emulated:{kind}", spec, robot_id="eva-1")
    path = tmp_path / "eva-1" / f"emulated-{kind}.json"
    prefix = f"{path}: calibration 'eva-1': "
    suffix = f"; redo it with `facetwin calibrate --backend emulated:{kind} --robot-id eva-1`"
    message = str(caught.value)
    assert message.startswith(prefix) and message.endswith(suffix), message
    return message[len(prefix):-len(suffix)]


def test_device_ranges():
    assert {kind: bus_kind.bus.position_range for kind, bus_kind in BUS_KINDS.items()} == {
        "maestro": (1, 16383), "pca9685": (5, 19983), "dynamixel": (0, 4095), "feetech": (0, 4095),
        "feetech-scs": (0, 1023)}
    assert PCA9685Bus(object(), frequency=300.0).position_range == (1, 3276)  # 3276.8 µs period at 300 Hz


def test_a_maestro_end_of_zero_is_refused_it_would_switch_the_servo_off(spec, tmp_path):
    assert _refusal(spec, tmp_path, "maestro", min=0, neutral=0) == (
        "brow_inner_raiser_L min 0 lies outside the maestro's range [1, 16383] quarter-microseconds")


@pytest.mark.parametrize(("kind", "field", "value", "expected"), [
    ("maestro", "max", 16384, "brow_inner_raiser_L max 16384 lies outside the maestro's range [1, 16383] "
                              "quarter-microseconds"),
    ("dynamixel", "max", 4096, "brow_inner_raiser_L max 4096 lies outside the dynamixel's range [0, 4095] ticks"),
    ("feetech", "max", 5000, "brow_inner_raiser_L max 5000 lies outside the feetech's range [0, 4095] ticks"),
    ("feetech-scs", "max", 1024, "brow_inner_raiser_L max 1024 lies outside the feetech-scs's range [0, 1023] ticks"),
    ("pca9685", "max", 25000, "brow_inner_raiser_L max 25000 lies outside the pca9685's range [5, 19983] "
                              "microseconds"),
])
def test_an_end_beyond_the_devices_range_is_refused_on_load(spec, tmp_path, kind, field, value, expected):
    assert _refusal(spec, tmp_path, kind, **{field: value}) == expected


def test_an_actuator_resting_at_an_end_must_have_its_neutral_there(spec, tmp_path):
    """brow_inner_raiser_L's neutral command is -1: a rest short of the -1 end would never reach it."""
    first = _calibration(spec, "maestro").actuators[0]
    assert (first.end_minus, first.neutral) == (4000, 4000)
    assert _refusal(spec, tmp_path, "maestro", neutral=4060) == (
        "brow_inner_raiser_L rests at its -1 end (4000), but its neutral is 4060")


def test_a_mirrored_actuator_resting_at_an_end_must_have_its_neutral_there(spec, tmp_path):
    right = spec.index("brow_inner_raiser_R")
    calibration = _calibration(spec, "maestro")
    mirrored = calibration.actuators[right]
    assert (mirrored.direction, mirrored.end_minus, mirrored.neutral) == (-1, 8000, 8000)
    moved = mirrored.model_copy(update={"neutral": 7000})
    actuators = list(calibration.actuators)
    actuators[right] = moved
    save_calibration(calibration.model_copy(update={"actuators": tuple(actuators)}))
    with pytest.raises(ConfigError, match=r"calibration 'eva-1': brow_inner_raiser_R rests at its -1 end \(8000\), "
                                          r"but its neutral is 7000; redo it with"):
        open_hardware_face("emulated:maestro", spec, robot_id="eva-1")


def test_the_face_itself_refuses_a_calibration_beyond_its_bus(spec):
    """The gate every command goes through checks the bus it drives, however the face was built."""
    kind = BUS_KINDS["maestro"]
    emulator, address = kind.start_emulator(list(range(spec.n_actuators)), parse_backend("emulated:maestro"))
    try:
        bus = kind.open_bus(address, list(range(spec.n_actuators)))
        with pytest.raises(ConfigError, match=r"^calibration 'eva-1': brow_inner_raiser_L min 0 lies outside the "
                                              r"maestro's range \[1, 16383\] quarter-microseconds$"):
            HardwareFace(spec, bus, _calibration(spec, "maestro", min=0, neutral=0))
    finally:
        emulator.stop()
