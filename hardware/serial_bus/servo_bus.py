"""What the Dynamixel and Feetech buses share: servos addressed by id on one serial line, each
holding a control table of registers.

A face uses five registers of every servo: torque enable (one byte), goal position and present
position (how wide a position is and how it is encoded is the family's), and the minimum and
maximum position limits, which hold the calibrated range (as wide as a position). Goals and torque go out
to every servo in one sync write, which no servo answers; present positions come back in
request/status round trips (`status_exchange`), retried when the line spoils a reply. A family
supplies only its wire format: how its packets are built, how a status packet is read, and how a
position is encoded.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from facetwin.hardware.bus import ServoBus
from facetwin.hardware.serial_bus.status_exchange import Status, exchange
from facetwin.hardware.serial_bus.transport import SerialTransport


@dataclass(frozen=True)
class ControlTable:
    """Where a servo family keeps the registers a face uses, and how many bytes a position takes."""

    torque_enable: int
    goal_position: int
    present_position: int
    position_bytes: int
    min_position_limit: int
    max_position_limit: int


ReadRequest = tuple[bytes, list[int], str]
"""A request, the ids that answer it in turn, and what it asks (for error messages)."""


class SerialServoBus(ServoBus):
    """Servos at `ids` on `port`; `baudrate` defaults to the family's factory setting."""

    unit = "ticks"
    can_read = True
    default_center = 2048
    default_half_span = 1024
    nudge = (10, 100)
    position_range = (0, 4095)
    """One turn in position mode (Dynamixel X, Feetech STS)."""
    table: ClassVar[ControlTable]
    default_baudrate: ClassVar[int]

    def __init__(self, port: str, ids: Sequence[int] = (), baudrate: int | None = None, timeout: float = 0.05,
                 retries: int = 3) -> None:
        self.ids = tuple(ids)
        self.retries = retries
        self.name = f"{self.kind} on {port}"
        self._io = SerialTransport(port, baudrate or self.default_baudrate, timeout, self.name)

    @property
    def address(self) -> str:
        return self._io.port

    def open(self) -> None:
        self._connect()
        for servo_id in self.ids:
            self.ping(servo_id)

    def ping(self, servo_id: int) -> bytes:
        """The data of the servo's answer; a clear error if nothing answers at that id."""
        return self._exchange(self._ping_packet(servo_id), [servo_id], f"ping of id {servo_id}")[servo_id]

    def write_targets(self, channels: Sequence[int], targets: Sequence[int]) -> None:
        data = {int(c): self._encode_position(int(t)) for c, t in zip(channels, targets)}
        self._sync_write(self.table.goal_position, self.table.position_bytes, data)

    def read_positions(self, channels: Sequence[int]) -> np.ndarray:
        positions = self._read_registers(self.table.present_position, [int(c) for c in channels], "position")
        return np.asarray(positions, dtype=np.float64)

    def _read_registers(self, address: int, ids: list[int], name: str) -> list[int]:
        """The position-wide register at `address` (`name`, for errors) of each servo in `ids`."""
        replies: dict[int, bytes] = {}
        for request, answering, what in self._read_requests(address, self.table.position_bytes, ids, name):
            replies |= self._exchange(request, answering, what)
        return [self._decode_position(replies[i]) for i in ids]

    def enable(self, channels: Sequence[int]) -> None:
        self._sync_write(self.table.torque_enable, 1, dict.fromkeys(map(int, channels), b"\x01"))

    def disable(self, channels: Sequence[int]) -> None:
        self._sync_write(self.table.torque_enable, 1, dict.fromkeys(map(int, channels), b"\x00"))

    def write_limits(self, channels: Sequence[int], lows: Sequence[int], highs: Sequence[int]) -> None:
        """The limits live in EEPROM, which wears with every write and which a servo holding torque
        will not write: torque off first, then only the limits a servo does not hold already are
        written (read back first), so that opening the face again writes nothing."""
        self.disable(channels)
        ids = [int(c) for c in channels]
        for register, values, name in ((self.table.min_position_limit, lows, "minimum position limit"),
                                       (self.table.max_position_limit, highs, "maximum position limit")):
            held = self._read_registers(register, ids, name)
            data = {i: self._encode_position(int(v)) for i, v, h in zip(ids, values, held) if int(v) != h}
            if data:
                self._sync_write(register, self.table.position_bytes, data)

    def close(self) -> None:
        self._io.close()

    def _connect(self) -> None:
        """Open the line; the servos are pinged next."""
        self._io.open()

    def _sync_write(self, address: int, length: int, data: dict[int, bytes]) -> None:
        self._io.write(self._sync_write_packet(address, length, data))

    def _exchange(self, request: bytes, ids: Sequence[int], what: str) -> dict[int, bytes]:
        return exchange(self._io, request, ids, what, self.retries, self._read_status)

    @abstractmethod
    def _ping_packet(self, servo_id: int) -> bytes:
        """A ping of one servo."""

    @abstractmethod
    def _sync_write_packet(self, address: int, length: int, data: dict[int, bytes]) -> bytes:
        """One packet writing `length` bytes at `address` of every servo in `data`."""

    @abstractmethod
    def _read_requests(self, address: int, length: int, ids: list[int], name: str) -> list[ReadRequest]:
        """The requests that bring back `length` bytes at `address` (the register `name`) of every
        servo in `ids`: one sync read, or one read per servo on a family without sync read."""

    @abstractmethod
    def _read_status(self) -> Status:
        """One status packet from the line; Incomplete or Corrupt when the line spoiled it."""

    @abstractmethod
    def _encode_position(self, value: int) -> bytes:
        """A position as the family's registers hold it."""

    @abstractmethod
    def _decode_position(self, data: bytes) -> int:
        """The position at the start of `data`, as the family's registers hold it."""
