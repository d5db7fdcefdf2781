"""Each driver's real code against its emulator: the bytes or registers it writes arrive, positions
read back, and injected faults end in a retry or a clear error, never a hang."""

from __future__ import annotations

import time

import numpy as np
import pytest

from facetwin.errors import BackendError
from facetwin.hardware.bus_kinds import BUS_KINDS
from facetwin.hardware.dynamixel.bus import DynamixelBus
from facetwin.hardware.dynamixel.emulator import DynamixelEmulator
from facetwin.hardware.feetech.bus import FeetechBus, FeetechScsBus
from facetwin.hardware.feetech.emulator import FeetechEmulator, FeetechScsEmulator
from facetwin.hardware.maestro.bus import MaestroBus
from facetwin.hardware.maestro.emulator import MaestroEmulator
from facetwin.hardware.pca9685 import protocol as reg
from facetwin.hardware.pca9685.bus import PCA9685Bus
from facetwin.hardware.pca9685.emulator import PCA9685Emulator
from facetwin.hardware.serial_bus.servo_bus import SerialServoBus
from tests.guards import time_limit


@pytest.fixture(autouse=True)
def _time_limit():
    """No hardware test may hang."""
    with time_limit(20):
        yield


def wait_for(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


# --- Maestro -----------------------------------------------------------------------------------


@pytest.fixture
def maestro_pair():
    with MaestroEmulator(devices=(12,), channels_per_device=6, record_targets=True) as emulator:
        bus = MaestroBus(emulator.port, channels_per_device=6, timeout=0.02)
        bus.open()
        yield emulator, bus
        bus.close()


def test_maestro_targets_arrive_and_read_back(maestro_pair):
    emulator, bus = maestro_pair
    bus.enable([0, 1, 2])
    bus.write_targets([0, 1, 2], [6000, 5000, 7000])
    wait_for(lambda: len(emulator.target_log) == 3)
    assert emulator.target_log == [(0, 6000), (1, 5000), (2, 7000)]
    np.testing.assert_array_equal(bus.read_positions([0, 1, 2]), [6000, 5000, 7000])
    wait_for(lambda: abs(emulator.servo_positions()[1] - 5000) < 1)  # the horn catches up at its top speed
    assert np.isnan(bus.read_positions([3])[0])  # never driven: off, position unknown


def test_maestro_speed_limit_slows_the_pulse(maestro_pair):
    emulator, bus = maestro_pair
    bus.speed = 10  # 10 * 0.25 us per 10 ms = 1000 quarter-us per second
    bus.enable([0])
    bus.write_targets([0], [6000])
    bus.write_targets([0], [7000])
    time.sleep(0.1)
    position = bus.read_positions([0])[0]
    assert 6000 < position < 7000


def test_maestro_disable_stops_pulses(maestro_pair):
    emulator, bus = maestro_pair
    bus.enable([0])
    bus.write_targets([0], [6000])
    bus.disable([0])
    wait_for(lambda: not emulator.enabled()[0])
    assert np.isnan(bus.read_positions([0])[0])


def test_maestro_lost_reply_byte_is_retried(maestro_pair):
    emulator, bus = maestro_pair
    bus.enable([0])
    bus.write_targets([0], [6500])
    emulator.faults.drop_reply_bytes = 1
    assert bus.read_positions([0])[0] == 6500


def test_maestro_lost_request_byte_shows_as_protocol_error(maestro_pair):
    emulator, bus = maestro_pair
    bus.enable([0])
    emulator.faults.drop_request_bytes = 1
    bus.write_targets([0], [6500])
    assert bus.read_errors() == ["serial protocol error"]
    assert bus.read_errors() == []  # reading clears the register, as on the device


def test_maestro_silent_device_gives_a_clear_error_quickly(maestro_pair):
    emulator, bus = maestro_pair
    emulator.faults.silent = True
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"maestro on .*no complete reply to get position .* after 3 tries"):
        bus.read_positions([0, 1])
    assert time.monotonic() - started < 1.0


def test_maestro_unplugged_device_gives_a_clear_error(maestro_pair):
    emulator, bus = maestro_pair
    emulator.unplug()
    with pytest.raises(BackendError, match="maestro on"):
        bus.write_targets([0], [6000])
        bus.read_positions([0])


def test_maestro_chain_uses_the_pololu_protocol_per_device():
    emulator = MaestroEmulator(devices=(12, 13), channels_per_device=24, record_targets=True)
    with emulator, MaestroBus(emulator.port, devices=(12, 13), timeout=0.02) as bus:
        bus.enable([0, 25])
        bus.write_targets([0, 25], [5000, 7000])
        np.testing.assert_array_equal(bus.read_positions([0, 25]), [5000, 7000])
        assert sorted(emulator.target_log) == [(0, 5000), (25, 7000)]
        with pytest.raises(BackendError, match="channel 48 does not exist"):
            bus.write_targets([48], [6000])


def test_maestro_missing_port_is_a_clear_error():
    with pytest.raises(BackendError, match="maestro on /dev/does-not-exist: cannot open the port"):
        MaestroBus("/dev/does-not-exist").open()


# --- PCA9685 -----------------------------------------------------------------------------------


@pytest.fixture
def pca_pair():
    emulator = PCA9685Emulator(addresses=(0x40, 0x41), record_targets=True)
    bus = PCA9685Bus(emulator.smbus(), addresses=(0x40, 0x41))
    bus.open()
    yield emulator, bus
    bus.close()


def test_pca9685_open_sets_the_prescaler_and_leaves_outputs_off(pca_pair):
    emulator, bus = pca_pair
    regs = emulator.registers[0x40]
    assert regs[reg.PRESCALE] == 121  # accepted only because the driver put the chip to sleep first
    assert regs[reg.MODE1] & reg.SLEEP and regs[reg.MODE1] & reg.AUTO_INCREMENT
    assert not any(emulator.enabled().values())


def test_pca9685_targets_arrive_as_on_off_registers(pca_pair):
    emulator, bus = pca_pair
    bus.enable([0, 1, 17])
    bus.write_targets([0, 1, 17], [1500, 1000, 2000])
    regs = emulator.registers[0x40]
    assert not regs[reg.MODE1] & reg.SLEEP
    counts = round(1500 * 4096 / bus.period_us)  # 307 ticks of a 20 ms period
    assert list(regs[reg.led_register(0) : reg.led_register(0) + 4]) == [0, 0, counts & 0xFF, counts >> 8]
    assert emulator.pulse_us(0x41, 1) == pytest.approx(2000, abs=5)
    assert emulator.enabled()[17] and emulator.target_log[-1][0] == 17
    assert emulator.registers[0x41][reg.MODE1] & reg.SLEEP == 0


def test_pca9685_cannot_read_and_refuses_disabled_channels(pca_pair):
    emulator, bus = pca_pair
    with pytest.raises(BackendError, match="cannot read servo positions"):
        bus.read_positions([0])
    with pytest.raises(BackendError, match="channel 3 is not enabled"):
        bus.write_targets([3], [1500])


def test_pca9685_disable_turns_channels_full_off_and_sleeps(pca_pair):
    emulator, bus = pca_pair
    bus.enable([0, 1])
    bus.write_targets([0, 1], [1500, 1500])
    bus.disable([0])
    assert emulator.pulse_us(0x40, 0) is None and emulator.enabled()[1]
    bus.disable([1])
    assert emulator.registers[0x40][reg.MODE1] & reg.SLEEP
    assert not any(emulator.enabled().values())


def test_pca9685_nack_is_retried_and_a_vanished_board_is_a_clear_error(pca_pair):
    emulator, bus = pca_pair
    bus.enable([0])
    emulator.nack_transfers = 1
    bus.write_targets([0], [1600])
    assert emulator.pulse_us(0x40, 0) == pytest.approx(1600, abs=5)
    emulator.unplug()
    with pytest.raises(BackendError, match=r"pca9685 at 0x40: read_byte_data failed 3 times"):
        bus.write_targets([0], [1500])


def test_pca9685_emulator_ignores_block_writes_without_auto_increment():
    emulator = PCA9685Emulator()
    smbus = emulator.smbus()
    smbus.write_byte_data(0x40, reg.MODE1, 0)  # awake, no auto-increment
    smbus.write_i2c_block_data(0x40, reg.led_register(0), [0, 0, 51, 1])
    assert list(emulator.registers[0x40][6:10]) == [1, 0, 0, 0x10]  # every byte landed on LED0_ON_L
    with pytest.raises(OSError):
        smbus.read_byte_data(0x41, reg.MODE1)


# --- Dynamixel and Feetech -----------------------------------------------------------------------


SERIAL_SERVOS = [pytest.param((kind.emulator, kind.bus, {}), id=name) for name, kind in BUS_KINDS.items()
                 if issubclass(kind.bus, SerialServoBus)]
SERIAL_SERVOS.append(pytest.param((DynamixelEmulator, DynamixelBus, {"use_sdk": True}), id="dynamixel-sdk"))


@pytest.fixture(params=SERIAL_SERVOS)
def servo_pair(request):
    emulator_type, bus_type, options = request.param
    if options.get("use_sdk"):
        pytest.importorskip("dynamixel_sdk")
    with emulator_type(ids=[1, 2, 3], record_targets=True) as emulator:
        bus = bus_type(emulator.port, ids=[1, 2, 3], timeout=0.02, **options)
        bus.open()
        yield emulator, bus
        bus.close()


def test_every_serial_servo_kind_is_covered():
    assert {"dynamixel", "feetech", "feetech-scs"} <= {p.id for p in SERIAL_SERVOS}


def test_serial_servos_torque_targets_and_positions(servo_pair):
    emulator, bus = servo_pair
    goals = [bus.default_center - 48, bus.default_center + 52, bus.default_center - 148]
    bus.enable([1, 2, 3])
    wait_for(lambda: all(emulator.enabled().values()))
    bus.write_targets([1, 2, 3], goals)
    wait_for(lambda: len(emulator.target_log) == 3)
    assert emulator.target_log == list(zip([1, 2, 3], goals))
    wait_for(lambda: np.allclose(bus.read_positions([1, 2, 3]), goals))
    bus.disable([2])
    wait_for(lambda: not emulator.enabled()[2])


def test_serial_servos_retry_corrupt_and_truncated_replies(servo_pair):
    emulator, bus = servo_pair
    rest = [bus.default_center] * 2
    emulator.faults.corrupt_replies = 1
    np.testing.assert_array_equal(bus.read_positions([1, 2]), rest)
    emulator.faults.drop_reply_bytes = 1
    np.testing.assert_array_equal(bus.read_positions([1, 2]), rest)


def test_serial_servos_silent_device_is_a_clear_error(servo_pair):
    emulator, bus = servo_pair
    emulator.faults.silent = True
    started = time.monotonic()
    with pytest.raises(BackendError, match=f"{bus.kind} on "):
        bus.read_positions([1, 2, 3])
    assert time.monotonic() - started < 2.0


def test_missing_servo_id_is_named_on_open():
    with DynamixelEmulator(ids=[1, 2]) as emulator, pytest.raises(BackendError, match="ping of id 7"):
        DynamixelBus(emulator.port, ids=[1, 7], timeout=0.02).open()
    with FeetechEmulator(ids=[1, 2]) as emulator, pytest.raises(BackendError, match="ping of id 9"):
        FeetechBus(emulator.port, ids=[9], timeout=0.02).open()


def test_feetech_servo_error_is_reported_by_name():
    with FeetechEmulator(ids=[1]) as emulator, FeetechBus(emulator.port, ids=[1], timeout=0.02) as bus:
        emulator.errors[1] = 1 << 5
        with pytest.raises(BackendError, match="servo 1 reports overload"):
            bus.read_positions([1])


def test_dynamixel_bad_request_crc_is_answered_with_crc_error():
    with DynamixelEmulator(ids=[1]) as emulator, DynamixelBus(emulator.port, ids=[1], timeout=0.02) as bus:
        emulator.faults.drop_request_bytes = 1  # the request loses its first header byte: the servo never sees it
        np.testing.assert_array_equal(bus.read_positions([1]), [2048])  # the retry gets through
        # A packet that arrives whole but with a wrong CRC is answered with error 3.
        from facetwin.hardware.dynamixel import protocol as dx

        request = bytearray(dx.packet(1, dx.PING))
        request[-1] ^= 0xFF
        bus._io.write(bytes(request))
        reply, _ = dx.split(bus._io.read(11))
        assert reply.params[0] == 3


# --- Feetech SCS: big-endian registers, no sync read ---------------------------------------------


def test_feetech_scs_driver_puts_the_sdks_bytes_on_the_wire():
    """Against a bare pty: exactly the bytes Feetech's SDK sends with End = 1, and a canned reply."""
    from facetwin.hardware.serial_bus.pty_link import PtyLink

    link = PtyLink()
    try:
        with FeetechScsBus(link.port, timeout=0.05) as bus:
            bus.write_targets([1, 2], [512, 300])
            assert link.read(0.5) == bytes.fromhex("FF FF FE 0A 83 2A 02 01 02 00 02 01 2C 16")
            link.write(bytes.fromhex("FF FF 01 04 00 01 F4 05"))  # servo 1: no error, present position 0x01F4
            assert bus.read_positions([1]).tolist() == [500.0]
            assert link.read(0.5) == bytes.fromhex("FF FF 01 04 02 38 02 BE")  # READ, not SYNC READ
    finally:
        link.close()


def test_feetech_scs_against_its_emulator():
    from facetwin.hardware.feetech import protocol as ft

    with FeetechScsEmulator(ids=[1, 2, 3], record_targets=True) as emulator, \
            FeetechScsBus(emulator.port, ids=[1, 2, 3], timeout=0.02) as bus:
        assert emulator.tables[1][3:5] == bytes.fromhex("05 04")  # model 1284, high byte first
        np.testing.assert_array_equal(bus.read_positions([1, 2, 3]), [512, 512, 512])
        bus.enable([1, 2, 3])
        bus.write_targets([1, 2, 3], [300, 700, 1023])
        wait_for(lambda: len(emulator.target_log) == 3)
        assert emulator.target_log == [(1, 300), (2, 700), (3, 1023)]
        assert emulator.tables[3][42:44] == bytes.fromhex("03 FF")
        wait_for(lambda: np.allclose(bus.read_positions([1, 2, 3]), [300, 700, 1023]))
        emulator.faults.corrupt_replies = 1
        np.testing.assert_array_equal(bus.read_positions([2]), [700])  # retried
        bus._io.write(ft.sync_read(ft.ADDR_PRESENT_POSITION, 2, [1]))  # an SCS servo does not answer sync read
        assert bus._io.read(8) == b""


def test_sts_driver_on_an_scs_servo_fails_clearly():
    """Wrong series: the STS driver's sync read goes unanswered, and the error says what was asked."""
    with FeetechScsEmulator(ids=[1]) as emulator, FeetechBus(emulator.port, ids=[1], timeout=0.02) as bus, \
            pytest.raises(BackendError, match="no complete reply to sync read of positions after 3 tries"):
        bus.read_positions([1])


def test_maestro_crc_mode_seals_every_command_and_the_device_checks_it():
    from facetwin.hardware.maestro.protocol import crc7

    emulator = MaestroEmulator(devices=(12,), channels_per_device=6, record_targets=True, crc=True)
    with emulator, MaestroBus(emulator.port, channels_per_device=6, timeout=0.02, crc=True) as bus:
        bus.enable([0, 1])
        bus.write_targets([0, 1], [5000, 7000])
        np.testing.assert_array_equal(bus.read_positions([0, 1]), [5000, 7000])
        assert emulator.target_log == [(0, 5000), (1, 7000)]
        set_target = bytes.fromhex("84 00 70 2E")  # channel 0 to 6000
        bus._io.write(set_target + bytes((crc7(set_target) ^ 0x01,)))  # its CRC byte spoiled on the line
        assert bus.read_errors() == ["serial CRC error"]
        np.testing.assert_array_equal(bus.read_positions([0]), [5000])  # the spoiled command moved nothing
    # A driver without CRC and a Maestro in CRC mode: the device waits for CRC bytes and never answers.
    with MaestroEmulator(devices=(12,), crc=True) as emulator:
        bus = MaestroBus(emulator.port, timeout=0.02)
        with pytest.raises(BackendError, match="no complete reply to get errors"):
            bus.open()
        bus.close()
