"""Feetech SCS/STS serial-servo packets, shared by the driver and the emulator.

Packet: FF FF, id, length (parameters + 2), instruction, parameters, checksum = ~(id + length +
instruction + parameters) & 0xFF. A status packet carries an error byte where the instruction
was. Both series share the framing and the control-table addresses used here, but not the
words in it: STS/SMS servos (STS3215; Feetech's SDK "End = 0", LeRobot's protocol 0) store
16-bit registers little endian and positions in sign-magnitude (bit 15); SCS servos (SCS0009,
SCS15; "End = 1", protocol 1) store them big endian, positions unsigned (0..1023), and do not
implement sync read, so their positions are read one servo at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from facetwin.hardware.serial_bus.status_exchange import Corrupt, Incomplete

BROADCAST_ID = 0xFE
PING = 0x01
READ = 0x02
WRITE = 0x03
SYNC_READ = 0x82
SYNC_WRITE = 0x83

ADDR_MODEL_NUMBER = 3
ADDR_ID = 5
ADDR_MIN_ANGLE_LIMIT = 9
ADDR_MAX_ANGLE_LIMIT = 11
ADDR_TORQUE_ENABLE = 40
ADDR_GOAL_POSITION = 42
ADDR_PRESENT_POSITION = 56
POSITION_BYTES = 2

ERROR_BITS = ("input voltage", "angle sensor", "overheat", "overcurrent", "bit 4", "overload", "bit 6", "bit 7")


def checksum(body: bytes) -> int:
    return ~sum(body) & 0xFF


def packet(servo_id: int, instruction: int, params: bytes = b"") -> bytes:
    body = bytes((servo_id, len(params) + 2, instruction)) + params
    return b"\xff\xff" + body + bytes((checksum(body),))


status = packet
"""A status packet has the same layout, with the error byte as its "instruction"."""


@dataclass(frozen=True)
class Series:
    """How one servo family stores its words: `byteorder` of 16-bit registers, whether positions
    carry a sign bit (bit 15, sign-magnitude), whether sync read exists, the model number a
    typical member reports, and its highest position (the encoder's last tick)."""

    name: str
    byteorder: Literal["little", "big"]
    signed_positions: bool
    sync_read: bool
    model: int
    max_position: int

    def encode_word(self, value: int) -> bytes:
        return int(value).to_bytes(2, self.byteorder)

    def decode_word(self, data: bytes) -> int:
        return int.from_bytes(data[:2], self.byteorder)

    def encode_position(self, value: int) -> bytes:
        """Sign-magnitude with a 15-bit magnitude (STS), or unsigned 16 bits (SCS)."""
        value = int(value)
        if self.signed_positions:
            return self.encode_word(min(abs(value), 0x7FFF) | (0x8000 if value < 0 else 0))
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"{self.name.upper()} positions are unsigned 16-bit, got {value}")
        return self.encode_word(value)

    def decode_position(self, data: bytes) -> int:
        raw = self.decode_word(data)
        if self.signed_positions and raw & 0x8000:
            return -(raw & 0x7FFF)
        return raw


STS = Series("sts", "little", signed_positions=True, sync_read=True, model=777, max_position=4095)
"""STS/SMS servos; the model number is the STS3215's."""
SCS = Series("scs", "big", signed_positions=False, sync_read=False, model=1284, max_position=1023)
"""SCS servos; the model number is the SCS0009's."""


def sync_write(address: int, length: int, data: dict[int, bytes]) -> bytes:
    params = bytes((address, length)) + b"".join(bytes((i,)) + value for i, value in data.items())
    return packet(BROADCAST_ID, SYNC_WRITE, params)


def sync_read(address: int, length: int, ids: list[int]) -> bytes:
    return packet(BROADCAST_ID, SYNC_READ, bytes((address, length)) + bytes(ids))


def read(servo_id: int, address: int, length: int) -> bytes:
    return packet(servo_id, READ, bytes((address, length)))


def decode_errors(value: int) -> list[str]:
    return [name for bit, name in enumerate(ERROR_BITS) if value >> bit & 1]


@dataclass(frozen=True)
class Packet:
    servo_id: int
    instruction: int
    """The error byte, in a status packet."""
    params: bytes


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
        raise Corrupt(total, frame[2])
    return Packet(frame[2], frame[4], frame[5:-1]), total
