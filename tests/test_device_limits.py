"""Where the device has position-limit registers (Dynamixel, Feetech), the face writes its
calibrated range into them on open, so the servo itself refuses (Dynamixel) or clamps (Feetech)
a goal the driver would never send; the emulators honour those registers as the servos do. The
registers are EEPROM, so only a limit that differs is written."""

from __future__ import annotations

import pytest

from facetwin.errors import BackendError
from facetwin.hardware.backend_url import open_hardware_face
from facetwin.hardware.dynamixel import protocol as dx
from facetwin.hardware.dynamixel.bus import DynamixelBus
from facetwin.hardware.dynamixel.emulator import DynamixelEmulator
from facetwin.hardware.safety import SafetyConfig
from tests.guards import time_limit

SERVO_KINDS = ["dynamixel", "feetech", "feetech-scs"]


@pytest.fixture(autouse=True)
def _time_limit():
    with time_limit(30):
        yield



def _limits(face) -> dict[int, tuple[int, int]]:
    """Each servo's (min, max) position-limit registers, as the emulator holds them."""
    bus, emulator = face.bus, face.emulator
    decode = bus._decode_position
    return {i: (decode(table[bus.table.min_position_limit:]), decode(table[bus.table.max_position_limit:]))
            for i, table in emulator.tables.items()}


@pytest.mark.parametrize("kind", SERVO_KINDS)
def test_open_writes_the_calibrated_range_into_every_servo(kind, spec):
    with open_hardware_face(f"emulated:{kind}", spec, pacing=False,
                            safety=SafetyConfig(watchdog_timeout=None)) as face:
        face.reset()
        mapping = face.driver.map
        assert _limits(face) == {c: (int(lo), int(hi)) for c, lo, hi in zip(mapping.channels, mapping.min, mapping.max)}


@pytest.mark.parametrize(("kind", "beyond", "reached"), [
    ("dynamixel", 3500, "unchanged"),  # 2048 +- 1024 calibrated; the X series refuses the goal
    ("feetech", 3500, 3072),  # the STS clamps it to the maximum angle limit
    ("feetech-scs", 900, 768),  # 512 +- 256 calibrated
])
def test_the_servo_itself_stops_a_goal_beyond_the_calibration(kind, beyond, reached, spec):
    with open_hardware_face(f"emulated:{kind}", spec, pacing=False,
                            safety=SafetyConfig(watchdog_timeout=None)) as face:
        face.reset()
        servo = face.driver.channels[0]
        before = face.emulator.targets()[servo]
        face.bus.write_targets([servo], [beyond])  # past the driver: what line noise or a bug could send
        face.bus.read_positions([servo])  # a round trip: the emulator has handled the write
        assert face.emulator.targets()[servo] == (before if reached == "unchanged" else reached)


def test_a_dynamixel_write_beyond_the_limits_is_answered_with_a_data_limit_error():
    with DynamixelEmulator(ids=(1,)) as emulator, DynamixelBus(emulator.port, ids=(1,)) as bus:
        bus.write_limits([1], [1000], [3000])
        goal = dx.ADDR_GOAL_POSITION.to_bytes(2, "little")
        with pytest.raises(BackendError, match=r"^dynamixel on .*: servo 1 reports data limit error \(answering "
                                               r"write of goal 3001\)$"):
            bus._exchange(dx.packet(1, dx.WRITE, goal + dx.encode_position(3001)), [1], "write of goal 3001")
        assert emulator.targets()[1] == 2048
        assert bus._exchange(dx.packet(1, dx.WRITE, goal + dx.encode_position(3000)), [1], "write") == {1: b""}
        assert emulator.targets()[1] == 3000


def test_calibrating_lifts_the_last_calibrations_limits(spec):
    """Limits stay in a servo's EEPROM; a new calibration must be free to find ends beyond them."""
    from facetwin.hardware.calibration_walkthrough import CalibrationWalkthrough

    ids = list(range(1, spec.n_actuators + 1))
    with DynamixelEmulator(ids=ids) as emulator, DynamixelBus(emulator.port, ids=ids) as bus:
        bus.write_limits(ids, [2000] * len(ids), [2100] * len(ids))
        walk = CalibrationWalkthrough(bus, spec, "bench", ids)
        for key in ["up", "up"]:
            walk.feed(key)
        bus.read_positions([1])  # a round trip: the emulator has handled the writes
        assert emulator.targets()[1] == 2048 + 2 * bus.nudge[1] == 2248  # beyond the old 2100
        table = emulator.tables[1]
        assert (dx.decode_position(table[dx.ADDR_MIN_POSITION_LIMIT:]),
                dx.decode_position(table[dx.ADDR_MAX_POSITION_LIMIT:])) == (0, 4095)


def test_opening_the_face_again_writes_nothing_to_eeprom(spec):
    """The limits live in EEPROM, which wears with every write: an open writes only the limits a
    servo does not hold already."""
    from facetwin.hardware.calibration import default_calibration
    from facetwin.hardware.hardware_face import HardwareFace

    ids = list(range(1, spec.n_actuators + 1))
    calibration = default_calibration(spec, "bench", DynamixelBus.kind, DynamixelBus.unit,
                                      DynamixelBus.default_center, DynamixelBus.default_half_span, ids)
    with DynamixelEmulator(ids=ids) as emulator:

        def eeprom_writes_of_an_open() -> int:
            before = sum(emulator.eeprom_writes.values())
            with HardwareFace(spec, DynamixelBus(emulator.port, ids=ids), calibration, pacing=False,
                              safety=SafetyConfig(watchdog_timeout=None)) as face:
                face.reset()  # its round trips come after the limits: the emulator has handled them
            return sum(emulator.eeprom_writes.values()) - before

        assert eeprom_writes_of_an_open() == 2 * len(ids)  # factory limits 0..4095: both differ on every servo
        assert eeprom_writes_of_an_open() == 0
        emulator.tables[ids[3]][dx.ADDR_MAX_POSITION_LIMIT:dx.ADDR_MAX_POSITION_LIMIT + 4] = dx.encode_position(4095)
        assert eeprom_writes_of_an_open() == 1  # the one limit changed since (by another tool)
