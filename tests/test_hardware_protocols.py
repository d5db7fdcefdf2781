"""Exact bytes on the wire for every protocol, checked against values from the vendors' manuals."""

from __future__ import annotations

import pytest

from facetwin.hardware.channel_runs import contiguous_runs
from facetwin.hardware.dynamixel import protocol as dx
from facetwin.hardware.feetech import protocol as ft
from facetwin.hardware.maestro import protocol as maestro
from facetwin.hardware.pca9685.protocol import prescale_for
from tests.guards import time_limit


@pytest.fixture(autouse=True)
def _time_limit():
    """No hardware test may hang."""
    with time_limit(20):
        yield


def test_maestro_set_target_is_the_manuals_example():
    # Channel 0 to 1500 us = 6000 quarter-microseconds: 0x84, channel, low 7 bits, high 7 bits.
    assert maestro.set_target(0, 6000) == bytes.fromhex("84 00 70 2E")


def test_maestro_pololu_protocol_prefixes_device_and_clears_the_command_msb():
    assert maestro.set_target(0, 6000, device=12) == bytes.fromhex("AA 0C 04 00 70 2E")
    assert maestro.get_position(3, device=13) == bytes.fromhex("AA 0D 10 03")


def test_maestro_multiple_targets_speed_acceleration_errors():
    assert maestro.set_multiple_targets(2, [6000, 4000]) == bytes.fromhex("9F 02 02 70 2E 20 1F")
    assert maestro.set_speed(5, 140) == bytes.fromhex("87 05 0C 01")
    assert maestro.set_acceleration(5, 4) == bytes.fromhex("89 05 04 00")
    assert maestro.get_position(1) == bytes.fromhex("90 01")
    assert maestro.get_errors() == bytes.fromhex("A1")
    assert maestro.decode_errors(0x0011) == ["serial signal error", "serial protocol error"]
    with pytest.raises(ValueError, match="14 bits"):
        maestro.set_target(0, 0x4000)


def test_consecutive_channels_are_grouped_into_runs():
    assert contiguous_runs([(3, 1), (0, 5), (1, 6), (4, 2), (7, 9)]) == [(0, [5, 6]), (3, [1, 2]), (7, [9])]


def test_pca9685_prescale_for_50_hz():
    assert prescale_for(50.0) == 121


def test_dynamixel_ping_and_sync_write_match_the_emanual():
    assert dx.packet(1, dx.PING) == bytes.fromhex("FF FF FD 00 01 03 00 01 19 4E")
    goals = {1: (150).to_bytes(4, "little"), 2: (170).to_bytes(4, "little")}
    assert dx.sync_write(116, 4, goals) == bytes.fromhex(
        "FF FF FD 00 FE 11 00 83 74 00 04 00 01 96 00 00 00 02 AA 00 00 00 82 87"
    )


def test_dynamixel_byte_stuffing_round_trips():
    params = bytes.fromhex("74 00 04 00 FF FF FD 00")
    frame = dx.packet(3, dx.WRITE, params)
    assert b"\xff\xff\xfd\xfd" in frame
    packet, used = dx.split(frame)
    assert (packet.servo_id, packet.instruction, packet.params, used) == (3, dx.WRITE, params, len(frame))


def test_dynamixel_split_rejects_a_bad_crc():
    frame = bytearray(dx.packet(1, dx.PING))
    frame[-1] ^= 0xFF
    with pytest.raises(dx.Corrupt):
        dx.split(frame)
    with pytest.raises(dx.Incomplete):
        dx.split(frame[:8])


def test_feetech_packets_and_checksum():
    assert ft.packet(1, ft.PING) == bytes.fromhex("FF FF 01 02 01 FB")
    # Goal position of servo 1 to 2048 and servo 2 to 1024 in one sync write (STS: little endian).
    frame = ft.sync_write(42, 2, {1: ft.STS.encode_position(2048), 2: ft.STS.encode_position(1024)})
    assert frame == bytes.fromhex("FF FF FE 0A 83 2A 02 01 00 08 02 00 04") + bytes((ft.checksum(frame[2:-1]),))
    assert frame[-1] == (~(0xFE + 0x0A + 0x83 + 0x2A + 0x02 + 0x01 + 0x08 + 0x02 + 0x04) & 0xFF)
    assert ft.STS.decode_position(ft.STS.encode_position(-300)) == -300
    bad = bytearray(frame)
    bad[-1] ^= 1
    with pytest.raises(ft.Corrupt):
        ft.split(bad)


def test_feetech_scs_words_are_big_endian_and_unsigned():
    # Feetech's SDK with End = 1 (SCS) puts the high byte first: 512 = 0x0200 -> 02 00, 300 -> 01 2C.
    frame = ft.sync_write(42, 2, {1: ft.SCS.encode_position(512), 2: ft.SCS.encode_position(300)})
    assert frame == bytes.fromhex("FF FF FE 0A 83 2A 02 01 02 00 02 01 2C 16")
    assert frame[-1] == (~(0xFE + 0x0A + 0x83 + 0x2A + 0x02 + 0x01 + 0x02 + 0x00 + 0x02 + 0x01 + 0x2C) & 0xFF)
    assert ft.SCS.encode_word(1284) == bytes.fromhex("05 04")  # the SCS0009's model number as its table holds it
    assert ft.SCS.decode_position(bytes.fromhex("03 FF")) == 1023  # bit 15 is no sign on SCS...
    assert ft.STS.decode_position(bytes.fromhex("FF 83")) == -1023  # ...but is on STS
    assert ft.read(1, 56, 2) == bytes.fromhex("FF FF 01 04 02 38 02 BE")
    with pytest.raises(ValueError, match="SCS positions are unsigned 16-bit"):
        ft.SCS.encode_position(-1)


def test_maestro_crc7_is_the_manuals_example():
    assert maestro.crc7(bytes.fromhex("83 01")) == 0x17
    assert maestro.crc7(b"") == 0
