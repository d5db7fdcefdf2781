"""Feetech STS/SCS serial bus servos (STS3215 and kin) on a half-duplex USB adapter.

Targets are position ticks (0..4095 over one turn). Goal positions go out in one sync write,
present positions come back from one sync read, torque is switched with a sync write of the
torque-enable byte. A servo that reports a hardware error (overload, overheat) stops the face
with that error named.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facetwin.errors import BackendError
from facetwin.hardware import feetech_protocol as ft
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.transport import SerialTransport


class FeetechBus(ServoBus):
    kind = "feetech"
    unit = "ticks"
    can_read = True
    default_center = 2048
    default_half_span = 1024
    nudge = (10, 100)

    def __init__(self, port: str, ids: Sequence[int] = (), baudrate: int = 1_000_000, timeout: float = 0.05,
                 retries: int = 3) -> None:
        self.ids = tuple(ids)
        self.retries = retries
        self.name = f"feetech on {port}"
        self._io = SerialTransport(port, baudrate, timeout, self.name)

    @property
    def address(self) -> str:
        return self._io.port

    def open(self) -> None:
        self._io.open()
        for servo_id in self.ids:
            self.ping(servo_id)

    def _read_status(self) -> ft.Packet:
        head = self._io.read(4)
        if len(head) < 4:
            raise ft.Incomplete
        if head[:2] != b"\xff\xff":
            raise ft.Corrupt(0)
        rest = self._io.read(head[3])
        packet, _ = ft.split(head + rest)
        return packet

    def _exchange(self, request: bytes, ids: Sequence[int], what: str) -> dict[int, bytes]:
        problem = "no reply"
        for _ in range(self.retries):
            self._io.write(request)
            replies: dict[int, bytes] = {}
            try:
                for servo_id in ids:
                    reply = self._read_status()
                    if reply.servo_id != servo_id:
                        raise ft.Corrupt(0)
                    if reply.instruction:
                        raise BackendError(
                            f"{self.name}: servo {servo_id} reports {', '.join(ft.decode_errors(reply.instruction))}"
                        )
                    replies[servo_id] = reply.params
                return replies
            except (ft.Incomplete, ft.Corrupt) as exc:
                problem = "a corrupt reply" if isinstance(exc, ft.Corrupt) else "no complete reply"
                self._io.discard_input()
        raise BackendError(f"{self.name}: {problem} to {what} after {self.retries} tries")

    def ping(self, servo_id: int) -> None:
        self._exchange(ft.packet(servo_id, ft.PING), [servo_id], f"ping of id {servo_id}")

    def write_targets(self, channels: Sequence[int], targets: Sequence[int]) -> None:
        data = {int(c): ft.encode_position(int(t)) for c, t in zip(channels, targets)}
        self._io.write(ft.sync_write(ft.ADDR_GOAL_POSITION, 2, data))

    def read_positions(self, channels: Sequence[int]) -> np.ndarray:
        ids = [int(c) for c in channels]
        replies = self._exchange(ft.sync_read(ft.ADDR_PRESENT_POSITION, 2, ids), ids, "sync read of positions")
        return np.asarray([ft.decode_position(replies[i]) for i in ids], dtype=np.float64)

    def enable(self, channels: Sequence[int]) -> None:
        self._io.write(ft.sync_write(ft.ADDR_TORQUE_ENABLE, 1, {int(c): b"\x01" for c in channels}))

    def disable(self, channels: Sequence[int]) -> None:
        self._io.write(ft.sync_write(ft.ADDR_TORQUE_ENABLE, 1, {int(c): b"\x00" for c in channels}))

    def close(self) -> None:
        self._io.close()
