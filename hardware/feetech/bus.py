"""Feetech serial bus servos on a half-duplex USB adapter: STS/SMS (STS3215 and kin) and SCS
(SCS0009, SCS15 and kin).

Targets are position ticks (STS: 0..4095 over one turn; SCS: 0..1023 over about 300 degrees).
Goal positions go out in one sync write and torque is switched with a sync write of the
torque-enable byte. Present positions come back from one sync read on STS servos; SCS servos
have no sync read, so each is read in turn. The two series differ in the byte order of their
registers (`feetech.protocol.Series`). A servo that reports a hardware error (overload,
overheat) stops the face with that error named.
"""

from __future__ import annotations

from typing import ClassVar

from facetwin.hardware.feetech import protocol as ft
from facetwin.hardware.serial_bus.servo_bus import ControlTable, ReadRequest, SerialServoBus
from facetwin.hardware.serial_bus.status_exchange import Status


class FeetechBus(SerialServoBus):
    """STS/SMS servos (little-endian registers, sign-magnitude positions)."""

    kind = "feetech"
    series: ClassVar[ft.Series] = ft.STS
    table = ControlTable(ft.ADDR_TORQUE_ENABLE, ft.ADDR_GOAL_POSITION, ft.ADDR_PRESENT_POSITION, ft.POSITION_BYTES,
                         ft.ADDR_MIN_ANGLE_LIMIT, ft.ADDR_MAX_ANGLE_LIMIT)
    default_baudrate = 1_000_000

    def _ping_packet(self, servo_id: int) -> bytes:
        return ft.packet(servo_id, ft.PING)

    def _sync_write_packet(self, address: int, length: int, data: dict[int, bytes]) -> bytes:
        return ft.sync_write(address, length, data)

    def _read_requests(self, address: int, length: int, ids: list[int], name: str) -> list[ReadRequest]:
        if self.series.sync_read:
            return [(ft.sync_read(address, length, ids), ids, f"sync read of {name}s")]
        return [(ft.read(i, address, length), [i], f"read of id {i}'s {name}") for i in ids]

    def _read_status(self) -> Status:
        head = self._io.read(4)
        if len(head) < 4:
            raise ft.Incomplete
        if head[:2] != b"\xff\xff":
            raise ft.Corrupt(0)
        rest = self._io.read(head[3])
        packet, _ = ft.split(head + rest)
        return Status(packet.servo_id, ", ".join(ft.decode_errors(packet.instruction)), packet.params)

    def _encode_position(self, value: int) -> bytes:
        return self.series.encode_position(value)

    def _decode_position(self, data: bytes) -> int:
        return self.series.decode_position(data)


class FeetechScsBus(FeetechBus):
    """SCS servos: big-endian registers, unsigned positions over 0..1023, no sync read. A
    separate bus kind, so a calibration made on one series is never applied to the other."""

    kind = "feetech-scs"
    series = ft.SCS
    default_center = 512
    default_half_span = 256
    nudge = (3, 30)
    position_range = (0, 1023)
