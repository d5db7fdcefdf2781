"""Calibration files, the piecewise mapping, and the key-driven walkthrough against an emulator."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from facetwin.app.cli import app
from facetwin.errors import ConfigError
from facetwin.hardware.calibration import (
    CalibrationMap,
    calibration_path,
    default_calibration,
    load_calibration,
    save_calibration,
)
from facetwin.hardware.calibration_walkthrough import (
    CalibrationAborted,
    CalibrationWalkthrough,
    keys_from_chars,
)
from facetwin.hardware.maestro.bus import MaestroBus
from facetwin.hardware.maestro.emulator import MaestroEmulator
from tests.guards import time_limit


@pytest.fixture(autouse=True)
def _time_limit():
    """No hardware test may hang."""
    with time_limit(20):
        yield



@pytest.fixture
def calibration(spec):
    return default_calibration(spec, "mira-test", "maestro", "quarter-microseconds", 6000, 2000)


def test_save_is_atomic_and_round_trips(tmp_path, monkeypatch, calibration, spec):
    monkeypatch.setenv("FACETWIN_CALIBRATION_DIR", str(tmp_path))
    path = save_calibration(calibration)
    assert path == tmp_path / "mira-test" / "emulated-maestro.json" == calibration_path("mira-test", "maestro", True)
    assert [p.name for p in path.parent.iterdir()] == ["emulated-maestro.json"]  # no temporary file left behind
    assert load_calibration(path, spec) == calibration


def test_load_names_file_and_field(tmp_path, calibration):
    data = json.loads(calibration.model_dump_json())
    data["actuators"][3]["neutral"] = 99999
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match=r"bad\.json: actuators\[3\]: neutral 99999 lies outside"):
        load_calibration(path)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"bad\.json: not a readable JSON file"):
        load_calibration(path)
    with pytest.raises(ConfigError, match="no calibration; run `facetwin calibrate`"):
        load_calibration(tmp_path / "missing.json")


def test_refuses_a_calibration_for_another_face(tmp_path, calibration, spec):
    other = calibration.model_copy(update={"spec_digest": "0123456789abcdef"})
    path = save_calibration(other, tmp_path / "other.json")
    with pytest.raises(ConfigError, match="was made for face 'mira' .*recalibrate"):
        load_calibration(path, spec)


def test_refuses_missing_actuators_and_duplicate_channels(calibration, spec):
    partial = calibration.model_copy(update={"actuators": calibration.actuators[:-1]})
    with pytest.raises(ConfigError, match="missing neck_roll; uncalibrated actuators are never driven"):
        partial.check(spec)
    data = json.loads(calibration.model_dump_json())
    data["actuators"][1]["channel"] = 0
    with pytest.raises(ValueError, match="channel 0 is used by both"):
        type(calibration).model_validate(data)


def test_mapping_hits_ends_and_neutral_and_inverts(calibration, spec):
    mapping = CalibrationMap(spec, calibration)
    ones = np.ones(spec.n_actuators)
    np.testing.assert_allclose(mapping.to_device(-ones), mapping.end_minus)
    np.testing.assert_allclose(mapping.to_device(ones), mapping.end_plus)
    np.testing.assert_allclose(mapping.to_device(spec.neutral_command), mapping.neutral)
    commands = np.random.default_rng(0).uniform(-1, 1, spec.n_actuators)
    np.testing.assert_allclose(mapping.to_command(mapping.to_device(commands)), commands, atol=1e-6)
    right = spec.index("brow_inner_raiser_R")
    assert mapping.end_plus[right] < mapping.end_minus[right]  # mirrored side runs the other way


def _ends_then_rest(spec, first: int = 0) -> list[str]:
    """Keys calibrating actuators `first`.. : -1 end a small nudge right, +1 end back at the start,
    and, where the neutral is not an end, the rest there too."""
    keys = []
    for actuator in spec.actuators[first:]:
        keys += ["right", "enter", "left", "enter"] + ([] if actuator.rest_end else ["enter"])
    return keys


def test_walkthrough_records_ends_neutral_and_direction(spec):
    """brow_inner_raiser_L and _R rest at their -1 end: no separate rest is asked, the -1 end is the neutral."""
    assert spec.actuators[0].rest_end == spec.actuators[1].rest_end == -1
    with MaestroEmulator(devices=(12, 13)) as emulator, MaestroBus(emulator.port, devices=(12, 13)) as bus:
        walk = CalibrationWalkthrough(bus, spec, "bench", list(range(spec.n_actuators)))
        walk.feed("down")
        walk.feed("enter")
        assert walk.marks["minus"] == 5800
        for key in ["up", "up", "enter"]:
            walk.feed(key)
        assert walk.index == 1  # two ends confirmed, no rest asked
        assert emulator.targets()[0] == 5800  # the calibrated actuator waits at its neutral, the -1 end
        second = ["up", "enter", "enter"]  # +1 end equal to -1 end is refused
        for key in second:
            walk.feed(key)
        assert walk.message == "the two ends must differ: nudge before confirming"
        calibration = walk.run(["left", "enter"] + _ends_then_rest(spec, 2))
        first_actuator, second_actuator = calibration.actuators[:2]
        assert (first_actuator.min, first_actuator.max, first_actuator.neutral, first_actuator.direction) == (
            5800, 6200, 5800, 1)
        assert (second_actuator.min, second_actuator.max, second_actuator.neutral, second_actuator.direction) == (
            6180, 6200, 6200, -1)
        assert calibration.spec_digest == spec.digest


def test_walkthrough_refuses_a_rest_outside_the_confirmed_ends(spec):
    """upper_lid_L rests between its ends, so its rest is asked, and must lie between them."""
    lid = spec.index("upper_lid_L")
    assert spec.actuators[lid].rest_end is None
    with MaestroEmulator(devices=(12, 13)) as emulator, MaestroBus(emulator.port, devices=(12, 13)) as bus:
        walk = CalibrationWalkthrough(bus, spec, "bench", list(range(spec.n_actuators)))
        for key in _ends_then_rest(spec)[:4 * lid] + ["right", "enter", "left", "left", "enter", "left", "enter"]:
            walk.feed(key)
        assert walk.message == "neutral must lie between the ends [5980, 6020]"
        assert walk.index == lid and walk.step == 2
        for key in ["right", "right", "enter"]:
            walk.feed(key)
        assert walk.index == lid + 1
        assert walk.done_actuators[lid].model_dump(include={"min", "max", "neutral", "direction"}) == {
            "min": 5980, "max": 6020, "neutral": 6000, "direction": -1}
        assert emulator.targets()[lid] == 6000


def test_walkthrough_quit_saves_nothing(spec):
    with MaestroEmulator(devices=(12, 13)) as emulator, MaestroBus(emulator.port, devices=(12, 13)) as bus:
        walk = CalibrationWalkthrough(bus, spec, "bench", list(range(spec.n_actuators)))
        with pytest.raises(CalibrationAborted):
            walk.run(["right", "quit"])


def test_keys_from_arrow_escapes_and_letters():
    assert list(keys_from_chars("\x1b[A\x1b[Dd\nq")) == ["up", "left", "right", "enter", "quit"]


def _typed(spec) -> str:
    """What a user types to calibrate every actuator: the first runs -1 -> +1 upwards, the others
    downwards; the rest, where one is asked, at the +1 end."""
    return "".join(("a\nd\n" if i == 0 else "d\na\n") + ("" if a.rest_end else "\n")
                   for i, a in enumerate(spec.actuators))


def test_cli_calibrate_against_the_emulator(tmp_path, monkeypatch, spec):
    monkeypatch.setenv("FACETWIN_CALIBRATION_DIR", str(tmp_path))
    keys = _typed(spec)
    result = CliRunner().invoke(app, ["calibrate", "--backend", "emulated:maestro", "--robot-id", "bench"], input=keys)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"saved {tmp_path / 'bench' / 'emulated-maestro.json'}"
    calibration = load_calibration(tmp_path / "bench" / "emulated-maestro.json", spec)
    assert calibration.emulated and not (tmp_path / "bench" / "maestro.json").exists()
    assert calibration.actuators[0].direction == 1 and calibration.actuators[1].direction == -1


def test_cli_calibrates_an_scs_face_and_refuses_it_on_sts(tmp_path, monkeypatch, spec):
    """The Feetech series is part of the calibration: SCS ticks never reach an STS servo."""
    from facetwin.hardware.backend_url import open_hardware_face

    monkeypatch.setenv("FACETWIN_CALIBRATION_DIR", str(tmp_path))
    keys = _typed(spec)
    result = CliRunner().invoke(app, ["calibrate", "--backend", "emulated:feetech-scs", "--robot-id", "scs"],
                                input=keys)
    assert result.exit_code == 0, result.output
    calibration = load_calibration(tmp_path / "scs" / "emulated-feetech-scs.json", spec)
    assert calibration.bus == "feetech-scs" and calibration.actuators[0].min == 512 - 3  # SCS nudges around 512
    with pytest.raises(ConfigError, match="is for a feetech-scs controller, not feetech"):
        open_hardware_face("emulated:feetech", spec, calibration=calibration)
