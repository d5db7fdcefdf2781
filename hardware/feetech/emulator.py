"""Feetech servos on a pty, byte for byte: a control table per id, in the series' byte order
(STS3215: little endian, sign-magnitude positions; SCS0009: big endian, unsigned positions).
Packets with a bad checksum are ignored, as the servos do, so the driver sees a timeout and
retries, and so are packets too short for their instruction; SCS servos ignore sync read, which
they do not implement. A goal beyond the angle limits (registers 9 and 11; as shipped, the
encoder's whole range, 0..4095 on an STS, 0..1023 on an SCS) is clamped to the nearer limit, as
the servos do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from facetwin.hardware.feetech import protocol as ft
from facetwin.hardware.serial_bus.emulator import SerialEmulator
from facetwin.hardware.servo_model import VirtualServo

_MIN_PARAMS = {ft.READ: 2, ft.WRITE: 1, ft.SYNC_READ: 2, ft.SYNC_WRITE: 2}
"""The fewest parameters each instruction can carry: address and length, or address and data."""


class FeetechEmulator(SerialEmulator):
    """STS servos at `ids`; `servo_speed` in ticks/s. `errors[id]` is the error byte the servo reports."""

    series: ClassVar[ft.Series] = ft.STS
    default_speed: ClassVar[float] = 4000.0
    """Unloaded, in ticks/s: an STS3215 turns about one revolution per second."""
    default_rest: ClassVar[int] = 2048
    """Where the horns start: mid-travel."""
    full_travel: ClassVar[int] = 4095
    """The highest position, the maximum angle limit as shipped."""

    def __init__(self, ids: Sequence[int] = tuple(range(1, 27)), servo_speed: float | None = None,
                 rest: int | None = None, record_targets: bool = False) -> None:
        speed = self.default_speed if servo_speed is None else servo_speed
        rest = self.default_rest if rest is None else rest
        super().__init__({i: VirtualServo(float(rest), float(rest), speed) for i in ids}, record_targets)
        self.tables = {i: self._table(i, rest) for i in ids}
        self.errors = dict.fromkeys(ids, 0)

    def _table(self, servo_id: int, rest: int) -> bytearray:
        table = bytearray(128)
        table[ft.ADDR_MODEL_NUMBER : ft.ADDR_MODEL_NUMBER + 2] = self.series.encode_word(self.series.model)
        table[ft.ADDR_ID] = servo_id
        table[ft.ADDR_GOAL_POSITION : ft.ADDR_GOAL_POSITION + ft.POSITION_BYTES] = self.series.encode_position(rest)
        table[ft.ADDR_MIN_ANGLE_LIMIT : ft.ADDR_MIN_ANGLE_LIMIT + 2] = self.series.encode_word(0)  # as shipped
        table[ft.ADDR_MAX_ANGLE_LIMIT : ft.ADDR_MAX_ANGLE_LIMIT + 2] = self.series.encode_word(self.full_travel)
        return table

    def _parse(self) -> None:
        buf = self._buffer
        while buf:
            start = buf.find(b"\xff\xff")
            if start < 0:
                del buf[: max(0, len(buf) - 1)]
                return
            del buf[:start]
            while len(buf) > 2 and buf[2] == 0xFF:
                del buf[0]  # a run of FF: the header is the last two
            try:
                packet, used = ft.split(buf)
            except ft.Incomplete:
                return
            except ft.Corrupt as exc:
                del buf[: exc.length]
                continue
            del buf[:used]
            self.packets += 1
            self._execute(packet)

    def _execute(self, packet: ft.Packet) -> None:
        p = packet.params
        if len(p) < _MIN_PARAMS.get(packet.instruction, 0):
            return
        if packet.instruction == ft.SYNC_WRITE:
            address, length = p[0], p[1]
            for offset in range(2, len(p) - length, length + 1):
                if p[offset] in self.tables:
                    self._store(p[offset], address, p[offset + 1 : offset + 1 + length])
        elif packet.instruction == ft.SYNC_READ:
            if not self.series.sync_read:
                return
            for servo_id in p[2:]:
                if servo_id in self.tables:
                    self._reply(ft.status(servo_id, self.errors[servo_id], self._load(servo_id, p[0], p[1])))
        elif packet.servo_id in self.tables:
            servo_id = packet.servo_id
            if packet.instruction == ft.PING:
                self._reply(ft.status(servo_id, self.errors[servo_id]))
            elif packet.instruction == ft.READ:
                self._reply(ft.status(servo_id, self.errors[servo_id], self._load(servo_id, p[0], p[1])))
            elif packet.instruction == ft.WRITE:
                self._store(servo_id, p[0], p[1:])
                self._reply(ft.status(servo_id, self.errors[servo_id]))

    def _store(self, servo_id: int, address: int, data: bytes) -> None:
        table = self.tables[servo_id]
        data = data[: max(0, len(table) - address)]  # beyond the control table nothing is stored
        table[address : address + len(data)] = data
        if address <= ft.ADDR_TORQUE_ENABLE < address + len(data):
            self.servos[servo_id].enabled = bool(table[ft.ADDR_TORQUE_ENABLE])
        if address <= ft.ADDR_GOAL_POSITION < address + len(data):
            goal = self.series.decode_position(table[ft.ADDR_GOAL_POSITION : ft.ADDR_GOAL_POSITION + ft.POSITION_BYTES])
            low, high = (self.series.decode_word(table[a:]) for a in (ft.ADDR_MIN_ANGLE_LIMIT, ft.ADDR_MAX_ANGLE_LIMIT))
            self._set_target(servo_id, min(high, max(low, goal)))

    def _load(self, servo_id: int, address: int, length: int) -> bytes:
        table = self.tables[servo_id]
        present = self.series.encode_position(round(self.servos[servo_id].position))
        table[ft.ADDR_PRESENT_POSITION : ft.ADDR_PRESENT_POSITION + ft.POSITION_BYTES] = present
        return bytes(table[address : address + length])


class FeetechScsEmulator(FeetechEmulator):
    """SCS servos: big-endian control table, model number 1284 (SCS0009), no answer to sync read."""

    series = ft.SCS
    default_speed = 2000.0
    """An SCS0009 sweeps about 600 degrees per second, 1024 ticks spanning 300 degrees."""
    default_rest = 512
    full_travel = 1023
