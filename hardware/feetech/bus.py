"""Feetech serial bus servos on a half-duplex USB adapter: STS/SMS (STS3215 and kin) and SCS
(SCS0009, SCS15 and kin).

Targets are position ticks (STS: 0..4095 over one turn; SCS: 0..1023 over about 300 degrees).
Goal positions go out in one sync write and torque is switched with a sync write of the
torque-enable byte. Present positions come back from one sync read on STS servos; SCS servos
have no sync read, so each is read in turn. The two series differ in the byte order of their
registers (`feetech_protocol.Series`). A servo that reports a hardware error (overload,
overheat) stops the face with that error named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from facetwin.hardware.bus import ServoBus
from facetwin.hardware.feetech import protocol as ft
from facetwin.hardware.serial_bus.status_exchange import Status, exchange
from facetwin.hardware.serial_bus.transport import SerialTransport


class FeetechBus(ServoBus):
    """STS/SMS servos (little-endian registers, sign-magnitude positions)."""

    kind = "feetech"
    series: ClassVar[ft.Series] = ft.STS
    unit = "ticks"
    can_read = True
    default_center = 2048
    default_half_span = 1024
    nudge = (10, 100)

    def __init__(self, port: str, ids: Sequence[int] = (), baudrate: int = 1_000_000, timeout: float = 0.05,
                 retries: int = 3) -> None:
        self.ids = tuple(ids)
        self.retries = retries
        self.name = f"{self.kind} on {port}"
        self._io = SerialTransport(port, baudrate, timeout, self.name)

    @property
    def address(self) -> str:
        return self._io.port

    def open(self) -> None:
        self._io.open()
        for servo_id in self.ids:
            self.ping(servo_id)

    def _exchange(self, request: bytes, ids: Sequence[int], what: str) -> dict[int, bytes]:
        return exchange(self._io, request, ids, what, self.retries, self._read_status)

    def _read_status(self) -> Status:
        head = self._io.read(4)
        if len(head) < 4:
            raise ft.Incomplete
        if head[:2] != b"\xff\xff":
            raise ft.Corrupt(0)
        rest = self._io.read(head[3])
        packet, _ = ft.split(head + rest)
        return Status(packet.servo_id, ", ".join(ft.decode_errors(packet.instruction)), packet.params)

    def ping(self, servo_id: int) -> None:
        self._exchange(ft.packet(servo_id, ft.PING), [servo_id], f"ping of id {servo_id}")

    def write_targets(self, channels: Sequence[int], targets: Sequence[int]) -> None:
        data = {int(c): self.series.encode_position(int(t)) for c, t in zip(channels, targets)}
        self._io.write(ft.sync_write(ft.ADDR_GOAL_POSITION, 2, data))

    def read_positions(self, channels: Sequence[int]) -> np.ndarray:
        ids = [int(c) for c in channels]
        if self.series.sync_read:
            replies = self._exchange(ft.sync_read(ft.ADDR_PRESENT_POSITION, 2, ids), ids, "sync read of positions")
        else:
            replies = {}
            for i in ids:
                replies |= self._exchange(ft.read(i, ft.ADDR_PRESENT_POSITION, 2), [i], f"read of id {i}'s position")
        return np.asarray([self.series.decode_position(replies[i]) for i in ids], dtype=np.float64)

    def enable(self, channels: Sequence[int]) -> None:
        self._io.write(ft.sync_write(ft.ADDR_TORQUE_ENABLE, 1, {int(c): b"\x01" for c in channels}))

    def disable(self, channels: Sequence[int]) -> None:
        self._io.write(ft.sync_write(ft.ADDR_TORQUE_ENABLE, 1, {int(c): b"\x00" for c in channels}))

    def close(self) -> None:
        self._io.close()


class FeetechScsBus(FeetechBus):
    """SCS servos: big-endian registers, unsigned positions over 0..1023, no sync read. A
    separate bus kind, so a calibration made on one series is never applied to the other."""

    kind = "feetech-scs"
    series = ft.SCS
    default_center = 512
    default_half_span = 256
    nudge = (3, 30)
