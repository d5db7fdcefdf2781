"""The Maestro's serial commands, shared by the driver and the emulator.

Every command starts with a byte whose top bit is set; data bytes carry 7 bits each. The compact
protocol sends the command byte alone; the Pololu protocol, for a chain of Maestros on one line,
sends 0xAA, the device number and the command byte with its top bit cleared. In CRC mode every
command ends in a CRC-7 byte.
"""

from __future__ import annotations

from collections.abc import Sequence

SET_TARGET = 0x84
SET_SPEED = 0x87
SET_ACCELERATION = 0x89
GET_POSITION = 0x90
SET_MULTIPLE_TARGETS = 0x9F
GET_ERRORS = 0xA1
POLOLU_START = 0xAA
FACTORY_DEVICE = 12
"""The device number a Maestro ships with; chained Maestros are numbered on from it."""
CHANNELS = 24
"""Channels of the largest Maestro (the Mini Maestro 24)."""
MAX_TARGET = 0x3FFF
"""Data bytes carry 7 bits each, so values have 14 bits."""

ERROR_BITS = (
    "serial signal error",
    "serial overrun error",
    "serial buffer full",
    "serial CRC error",
    "serial protocol error",
    "serial timeout",
    "script stack error",
    "script call stack error",
    "script program counter error",
)
"""The error register's bits, lowest first."""
CRC_ERROR = 1 << 3
PROTOCOL_ERROR = 1 << 4


def seven_bit(value: int) -> bytes:
    """A 14-bit value as the low and high 7-bit data bytes the Maestro expects."""
    if not 0 <= value <= MAX_TARGET:
        raise ValueError(f"Maestro values have 14 bits, got {value}")
    return bytes((value & 0x7F, (value >> 7) & 0x7F))


def command(code: int, data: bytes, device: int | None = None) -> bytes:
    """Compact protocol when `device` is None, Pololu protocol (0xAA, device, code & 0x7F) otherwise."""
    if device is None:
        return bytes((code,)) + data
    return bytes((POLOLU_START, device, code & 0x7F)) + data


def set_target(channel: int, target: int, device: int | None = None) -> bytes:
    return command(SET_TARGET, bytes((channel,)) + seven_bit(target), device)


def set_multiple_targets(first_channel: int, targets: Sequence[int], device: int | None = None) -> bytes:
    data = bytes((len(targets), first_channel)) + b"".join(seven_bit(t) for t in targets)
    return command(SET_MULTIPLE_TARGETS, data, device)


def set_speed(channel: int, speed: int, device: int | None = None) -> bytes:
    """`speed` in 0.25 us per 10 ms; 0 means unlimited."""
    return command(SET_SPEED, bytes((channel,)) + seven_bit(speed), device)


def set_acceleration(channel: int, acceleration: int, device: int | None = None) -> bytes:
    """`acceleration` in 0.25 us per 10 ms per 80 ms (0..255); 0 means unlimited."""
    return command(SET_ACCELERATION, bytes((channel,)) + seven_bit(acceleration), device)


def get_position(channel: int, device: int | None = None) -> bytes:
    return command(GET_POSITION, bytes((channel,)), device)


def get_errors(device: int | None = None) -> bytes:
    return command(GET_ERRORS, b"", device)


def crc7(message: bytes) -> int:
    """The CRC byte a Maestro in CRC mode expects after each command: CRC-7 with polynomial 0x91,
    computed least significant bit first (the manual's example: 83 01 -> 17)."""
    crc = 0
    for byte in message:
        crc ^= byte
        for _ in range(8):
            if crc & 1:
                crc ^= 0x91
            crc >>= 1
    return crc


def decode_errors(value: int) -> list[str]:
    return [name for bit, name in enumerate(ERROR_BITS) if value >> bit & 1]
