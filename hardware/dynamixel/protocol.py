"""Dynamixel Protocol 2.0 packets, shared by the driver and the emulator.

Packet: FF FF FD 00, id, length (2 bytes, little endian: instruction + parameters + CRC),
instruction, parameters, CRC-16 (polynomial 0x8005, initial 0, not reflected) over everything
before it. Any FF FF FD inside instruction and parameters is stuffed to FF FF FD FD so it cannot
be mistaken for a header.
"""

from __future__ import annotations

from dataclasses import dataclass

from facetwin.hardware.serial_bus.status_exchange import Corrupt, Incomplete

HEADER = b"\xff\xff\xfd\x00"
BROADCAST_ID = 0xFE
PING = 0x01
READ = 0x02
WRITE = 0x03
STATUS = 0x55
SYNC_READ = 0x82
SYNC_WRITE = 0x83

ADDR_MODEL_NUMBER = 0
ADDR_MAX_POSITION_LIMIT = 48
ADDR_MIN_POSITION_LIMIT = 52
ADDR_TORQUE_ENABLE = 64
EEPROM_END = ADDR_TORQUE_ENABLE
"""The control table below this address is EEPROM (the position limits among it), RAM from here."""
ADDR_GOAL_POSITION = 116
ADDR_PRESENT_POSITION = 132
POSITION_BYTES = 4

ERROR_NAMES = {1: "result fail", 2: "instruction error", 3: "CRC error", 4: "data range error",
               5: "data length error", 6: "data limit error", 7: "access error"}


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]) & 0xFFFF
    return crc


def encode_position(value: int) -> bytes:
    """Positions are signed little-endian registers."""
    return int(value).to_bytes(POSITION_BYTES, "little", signed=True)


def decode_position(data: bytes) -> int:
    return int.from_bytes(data[:POSITION_BYTES], "little", signed=True)


def stuff(body: bytes) -> bytes:
    return body.replace(b"\xff\xff\xfd", b"\xff\xff\xfd\xfd")


def unstuff(body: bytes) -> bytes:
    return body.replace(b"\xff\xff\xfd\xfd", b"\xff\xff\xfd")


def packet(servo_id: int, instruction: int, params: bytes = b"") -> bytes:
    body = stuff(bytes((instruction,)) + params)
    head = HEADER + bytes((servo_id,)) + (len(body) + 2).to_bytes(2, "little")
    frame = head + body
    return frame + crc16(frame).to_bytes(2, "little")


def status(servo_id: int, error: int, params: bytes = b"") -> bytes:
    return packet(servo_id, STATUS, bytes((error,)) + params)


def sync_write(address: int, length: int, data: dict[int, bytes]) -> bytes:
    params = address.to_bytes(2, "little") + length.to_bytes(2, "little")
    params += b"".join(bytes((servo_id,)) + value for servo_id, value in data.items())
    return packet(BROADCAST_ID, SYNC_WRITE, params)


def sync_read(address: int, length: int, ids: list[int]) -> bytes:
    params = address.to_bytes(2, "little") + length.to_bytes(2, "little") + bytes(ids)
    return packet(BROADCAST_ID, SYNC_READ, params)


@dataclass(frozen=True)
class Packet:
    servo_id: int
    instruction: int
    params: bytes


def split(buffer: bytes | bytearray) -> tuple[Packet, int]:
    """The first packet in `buffer` (which must start at a header) and how many bytes it used."""
    if len(buffer) < 7:
        raise Incomplete
    length = int.from_bytes(buffer[5:7], "little")
    total = 7 + length
    if len(buffer) < total:
        raise Incomplete
    frame = bytes(buffer[:total])
    if length < 3 or crc16(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
        raise Corrupt(total, frame[4])
    body = unstuff(frame[7:-2])
    return Packet(frame[4], body[0], body[1:]), total
