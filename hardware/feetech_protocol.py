"""Feetech SCS/STS serial-servo packets, shared by the driver and the emulator.

Packet: FF FF, id, length (parameters + 2), instruction, parameters, checksum = ~(id + length +
instruction + parameters) & 0xFF. A status packet carries an error byte where the instruction
was. STS servos (STS3215) store words little endian and positions in sign-magnitude (bit 15).
"""

from __future__ import annotations

from dataclasses import dataclass

BROADCAST_ID = 0xFE
PING = 0x01
READ = 0x02
WRITE = 0x03
SYNC_READ = 0x82
SYNC_WRITE = 0x83

ADDR_MODEL_NUMBER = 3
ADDR_ID = 5
ADDR_TORQUE_ENABLE = 40
ADDR_GOAL_POSITION = 42
ADDR_PRESENT_POSITION = 56

ERROR_BITS = ("input voltage", "angle sensor", "overheat", "overcurrent", "bit 4", "overload", "bit 6", "bit 7")


def checksum(body: bytes) -> int:
    return ~sum(body) & 0xFF


def packet(servo_id: int, instruction: int, params: bytes = b"") -> bytes:
    body = bytes((servo_id, len(params) + 2, instruction)) + params
    return b"\xff\xff" + body + bytes((checksum(body),))


status = packet
"""A status packet has the same layout, with the error byte as its "instruction"."""


def encode_position(value: int) -> bytes:
    """Sign-magnitude, 15-bit magnitude, little endian."""
    magnitude = min(abs(int(value)), 0x7FFF)
    return (magnitude | (0x8000 if value < 0 else 0)).to_bytes(2, "little")


def decode_position(data: bytes) -> int:
    raw = int.from_bytes(data[:2], "little")
    return -(raw & 0x7FFF) if raw & 0x8000 else raw


def sync_write(address: int, length: int, data: dict[int, bytes]) -> bytes:
    params = bytes((address, length)) + b"".join(bytes((i,)) + value for i, value in data.items())
    return packet(BROADCAST_ID, SYNC_WRITE, params)


def sync_read(address: int, length: int, ids: list[int]) -> bytes:
    return packet(BROADCAST_ID, SYNC_READ, bytes((address, length)) + bytes(ids))


def decode_errors(value: int) -> list[str]:
    return [name for bit, name in enumerate(ERROR_BITS) if value >> bit & 1]


@dataclass(frozen=True)
class Packet:
    servo_id: int
    instruction: int
    """The error byte, in a status packet."""
    params: bytes


class Incomplete(Exception):
    """More bytes are needed before the buffer holds a whole packet."""


class Corrupt(Exception):
    """The packet at the head of the buffer failed its checksum; drop `length` bytes."""

    def __init__(self, length: int) -> None:
        super().__init__("checksum mismatch")
        self.length = length


def split(buffer: bytes | bytearray) -> tuple[Packet, int]:
    """The first packet in `buffer` (which must start with FF FF) and how many bytes it used."""
    if len(buffer) < 4:
        raise Incomplete
    total = 4 + buffer[3]
    if buffer[3] < 2:
        raise Corrupt(4)
    if len(buffer) < total:
        raise Incomplete
    frame = bytes(buffer[:total])
    if checksum(frame[2:-1]) != frame[-1]:
        raise Corrupt(total)
    return Packet(frame[2], frame[4], frame[5:-1]), total
