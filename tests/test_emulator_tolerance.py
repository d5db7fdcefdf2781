"""Emulators as tolerant as the devices: a malformed packet, a lying length field or a reserved
register costs at most one timeout, never the emulator's thread or another board's channels;
out-of-range positions end where the device puts them."""

from __future__ import annotations

import time

import numpy as np
import pytest

from facetwin.hardware.dynamixel import protocol as dx
from facetwin.hardware.dynamixel.bus import DynamixelBus
from facetwin.hardware.dynamixel.emulator import DynamixelEmulator
from facetwin.hardware.feetech import protocol as ft
from facetwin.hardware.feetech.bus import FeetechBus, FeetechScsBus
from facetwin.hardware.feetech.emulator import FeetechEmulator, FeetechScsEmulator
from facetwin.hardware.pca9685 import protocol as reg
from facetwin.hardware.pca9685.emulator import PCA9685Emulator
from tests.guards import time_limit


@pytest.fixture(autouse=True)
def _time_limit():
    with time_limit(20):
        yield


def wait_for(condition, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


FEETECH = [pytest.param((FeetechEmulator, FeetechBus), id="sts"),
           pytest.param((FeetechScsEmulator, FeetechScsBus), id="scs")]


@pytest.mark.parametrize("pair", FEETECH)
@pytest.mark.parametrize("instruction", [ft.READ, ft.WRITE, ft.SYNC_READ, ft.SYNC_WRITE])
def test_feetech_packet_with_valid_checksum_and_short_params_is_ignored(pair, instruction):
    emulator_type, bus_type = pair
    with emulator_type(ids=[1]) as emulator, bus_type(emulator.port, ids=[1], timeout=0.02) as bus:
        servo_id = ft.BROADCAST_ID if instruction in (ft.SYNC_READ, ft.SYNC_WRITE) else 1
        bus._io.write(ft.packet(servo_id, instruction))  # 6 bytes: no address, no length
        np.testing.assert_array_equal(bus.read_positions([1]), [emulator.default_rest])
        assert emulator._thread.is_alive()


def test_dynamixel_header_with_a_huge_length_costs_one_timeout_not_the_link():
    with DynamixelEmulator(ids=[1]) as emulator, DynamixelBus(emulator.port, ids=[1], timeout=0.05) as bus:
        bus._io.write(dx.HEADER + bytes((1,)) + (0xFFFF).to_bytes(2, "little"))  # announces 65535 bytes
        np.testing.assert_array_equal(bus.read_positions([1]), [2048])
        np.testing.assert_array_equal(bus.read_positions([1]), [2048])
        assert emulator._thread.is_alive()


def test_dynamixel_write_beyond_the_control_table_stores_nothing():
    with DynamixelEmulator(ids=[1]) as emulator, DynamixelBus(emulator.port, ids=[1], timeout=0.02) as bus:
        bus._io.write(dx.packet(1, dx.WRITE, (250).to_bytes(2, "little") + bytes(16)))
        bus.read_positions([1])
        assert len(emulator.tables[1]) == 256


@pytest.mark.parametrize(("pair", "goal", "expected"), [
    pytest.param((FeetechEmulator, FeetechBus), 5000, 4095, id="sts-high"),
    pytest.param((FeetechEmulator, FeetechBus), -300, 0, id="sts-negative"),
    pytest.param((FeetechScsEmulator, FeetechScsBus), 2000, 1023, id="scs-high"),
])
def test_feetech_goal_outside_the_angle_limits_is_clamped(pair, goal, expected):
    emulator_type, bus_type = pair
    with emulator_type(ids=[1], record_targets=True) as emulator, \
            bus_type(emulator.port, ids=[1], timeout=0.02) as bus:
        bus._io.write(ft.packet(1, ft.WRITE, bytes((ft.ADDR_GOAL_POSITION,)) + emulator.series.encode_position(goal)))
        wait_for(lambda: emulator.target_log == [(1, expected)])
        assert emulator.targets()[1] == expected


def test_feetech_angle_limits_narrowed_clamp_the_goal():
    with FeetechEmulator(ids=[1], record_targets=True) as emulator, \
            FeetechBus(emulator.port, ids=[1], timeout=0.02) as bus:
        limits = ft.STS.encode_word(1000) + ft.STS.encode_word(3000)
        bus._io.write(ft.packet(1, ft.WRITE, bytes((ft.ADDR_MIN_ANGLE_LIMIT,)) + limits))
        bus.write_targets([1], [500])
        wait_for(lambda: emulator.target_log == [(1, 1000)])


def _awake_board_pair() -> tuple[PCA9685Emulator, object]:
    emulator = PCA9685Emulator(addresses=(0x40, 0x41))
    smbus = emulator.smbus()
    for address in emulator.addresses:
        smbus.write_byte_data(address, reg.PRESCALE, reg.prescale_for(50))  # taken while the chip sleeps
        smbus.write_byte_data(address, reg.MODE1, reg.AUTO_INCREMENT)  # awake, auto-increment
    return emulator, smbus


def test_pca9685_reserved_registers_are_ignored_and_read_as_zero():
    emulator, smbus = _awake_board_pair()
    smbus.write_i2c_block_data(0x41, reg.led_register(0), [0, 0, 0x33, 0x01])  # board 2, channel 0 at 1500 us
    before = emulator.targets()
    for register in (0x46, 0x80, 0xF9, 0xFF):
        smbus.write_i2c_block_data(0x40, register, [0x00, 0x00, 0x99, 0x01])
        assert smbus.read_byte_data(0x40, register) == 0
    assert emulator.targets() == before  # no channel of either board moved
    assert emulator.pulse_us(0x41, 0) == pytest.approx(1500, abs=5)


def test_pca9685_auto_increment_rolls_over_past_the_last_led_register_to_mode1():
    emulator, smbus = _awake_board_pair()
    smbus.write_i2c_block_data(0x40, reg.LAST_LED - 1, [0x22, 0x01, reg.AUTO_INCREMENT | reg.ALLCALL, reg.OUTDRV])
    regs = emulator.registers[0x40]
    assert list(regs[reg.LAST_LED - 1 : reg.LAST_LED + 1]) == [0x22, 0x01]  # LED15_OFF_L, LED15_OFF_H
    assert regs[reg.MODE1] == reg.AUTO_INCREMENT | reg.ALLCALL and regs[reg.MODE2] == reg.OUTDRV
    assert not any(regs[0x46:reg.ALL_LED_ON_L])


def test_pca9685_reserved_high_bits_never_set():
    emulator, smbus = _awake_board_pair()
    smbus.write_i2c_block_data(0x40, reg.led_register(2), [0xFF, 0xEF, 0xFF, 0xEF])
    assert list(emulator.registers[0x40][reg.led_register(2) : reg.led_register(2) + 4]) == [0xFF, 0x0F, 0xFF, 0x0F]


def test_pca9685_servo_stops_at_its_travel_whatever_the_pulse():
    emulator, smbus = _awake_board_pair()
    smbus.write_i2c_block_data(0x40, reg.led_register(0), [0, 0, 0xA0, 0x0F])  # 4000 ticks: about 19.5 ms
    assert emulator.pulse_us(0x40, 0) > 19000
    assert emulator.targets()[0] == 2500.0
    smbus.write_i2c_block_data(0x40, reg.led_register(0), [0, 0, 0x05, 0x00])  # 5 ticks: about 24 us
    assert emulator.targets()[0] == 500.0
