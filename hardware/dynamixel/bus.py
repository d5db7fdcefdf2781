"""Dynamixel X-series servos over Protocol 2.0 (U2D2 or any USB-RS485/TTL adapter).

Targets are position ticks (0..4095 over one turn). Goal positions go out in one sync write,
present positions come back from one sync read (each servo answers in turn), torque is
switched with a sync write of the torque-enable byte. The packets are built here
(dynamixel_protocol); with `use_sdk=True` the ROBOTIS dynamixel-sdk, an optional extra imported
only then, sends the same bytes instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facetwin.errors import BackendError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.dynamixel import protocol as dx
from facetwin.hardware.serial_bus.status_exchange import Status, exchange
from facetwin.hardware.serial_bus.transport import SerialTransport


class DynamixelBus(ServoBus):
    kind = "dynamixel"
    unit = "ticks"
    can_read = True
    default_center = 2048
    default_half_span = 1024
    nudge = (10, 100)

    def __init__(self, port: str, ids: Sequence[int] = (), baudrate: int = 57600, timeout: float = 0.05,
                 retries: int = 3, use_sdk: bool = False) -> None:
        self.ids = tuple(ids)
        self.retries = retries
        self.use_sdk = use_sdk
        self.name = f"dynamixel on {port}"
        self._io = SerialTransport(port, baudrate, timeout, self.name)
        self._sdk = None

    @property
    def address(self) -> str:
        return self._io.port

    def open(self) -> None:
        if self.use_sdk:
            self._sdk = _SdkLink(self._io.port, self._io.baudrate, self.name, self.retries)
        else:
            self._io.open()
        for servo_id in self.ids:
            self.ping(servo_id)

    def _exchange(self, request: bytes, ids: Sequence[int], what: str) -> dict[int, bytes]:
        return exchange(self._io, request, ids, what, self.retries, self._read_status)

    def _read_status(self) -> Status:
        head = self._io.read(7)
        if len(head) < 7:
            raise dx.Incomplete
        if head[:4] != dx.HEADER:
            raise dx.Corrupt(0)
        rest = self._io.read(int.from_bytes(head[5:7], "little"))
        packet, _ = dx.split(head + rest)
        error = packet.params[0] & 0x7F if packet.params else 0
        return Status(packet.servo_id, dx.ERROR_NAMES.get(error, f"error {error}") if error else "", packet.params[1:])

    def ping(self, servo_id: int) -> int:
        """The servo's model number; a clear error if nothing answers at that id."""
        if self._sdk is not None:
            return self._sdk.ping(servo_id)
        reply = self._exchange(dx.packet(servo_id, dx.PING), [servo_id], f"ping of id {servo_id}")
        return int.from_bytes(reply[servo_id][:2], "little")

    def _sync_write(self, address: int, length: int, values: dict[int, int]) -> None:
        if self._sdk is not None:
            self._sdk.sync_write(address, length, values)
            return
        data = {i: int(v).to_bytes(length, "little", signed=True) for i, v in values.items()}
        self._io.write(dx.sync_write(address, length, data))

    def write_targets(self, channels: Sequence[int], targets: Sequence[int]) -> None:
        self._sync_write(dx.ADDR_GOAL_POSITION, 4, dict(zip(map(int, channels), map(int, targets))))

    def read_positions(self, channels: Sequence[int]) -> np.ndarray:
        ids = [int(c) for c in channels]
        if self._sdk is not None:
            values = self._sdk.sync_read(dx.ADDR_PRESENT_POSITION, 4, ids)
        else:
            replies = self._exchange(dx.sync_read(dx.ADDR_PRESENT_POSITION, 4, ids), ids, "sync read of positions")
            values = [int.from_bytes(replies[i][:4], "little", signed=True) for i in ids]
        return np.asarray(values, dtype=np.float64)

    def enable(self, channels: Sequence[int]) -> None:
        self._sync_write(dx.ADDR_TORQUE_ENABLE, 1, dict.fromkeys(map(int, channels), 1))

    def disable(self, channels: Sequence[int]) -> None:
        self._sync_write(dx.ADDR_TORQUE_ENABLE, 1, dict.fromkeys(map(int, channels), 0))

    def close(self) -> None:
        if self._sdk is not None:
            self._sdk.close()
            self._sdk = None
        self._io.close()


class _SdkLink:
    """The same three transactions through ROBOTIS' dynamixel-sdk (pip install dynamixel-sdk)."""

    def __init__(self, port: str, baudrate: int, name: str, retries: int) -> None:
        self.retries = retries
        try:
            import dynamixel_sdk as sdk
        except ImportError:
            raise BackendError(f"{name}: use_sdk needs dynamixel-sdk (pip install dynamixel-sdk)") from None
        self.sdk = sdk
        self.name = name
        self.port = sdk.PortHandler(port)
        self.handler = sdk.PacketHandler(2.0)
        try:
            opened = self.port.openPort() and self.port.setBaudRate(baudrate)
        except Exception as exc:  # the SDK lets pyserial's exceptions through
            raise BackendError(f"{name}: cannot open the port: {exc}") from None
        if not opened:
            raise BackendError(f"{name}: cannot open the port at {baudrate} baud")

    def _check(self, result: int, what: str) -> None:
        if result != self.sdk.COMM_SUCCESS:
            raise BackendError(f"{self.name}: {what} failed: {self.handler.getTxRxResult(result)}")

    def ping(self, servo_id: int) -> int:
        model, result, error = self.handler.ping(self.port, servo_id)
        self._check(result, f"ping of id {servo_id}")
        if error:
            raise BackendError(f"{self.name}: servo {servo_id}: {self.handler.getRxPacketError(error)}")
        return model

    def sync_write(self, address: int, length: int, values: dict[int, int]) -> None:
        group = self.sdk.GroupSyncWrite(self.port, self.handler, address, length)
        for servo_id, value in values.items():
            group.addParam(servo_id, list(int(value).to_bytes(length, "little", signed=True)))
        self._check(group.txPacket(), f"sync write at address {address}")

    def sync_read(self, address: int, length: int, ids: list[int]) -> list[int]:
        group = self.sdk.GroupSyncRead(self.port, self.handler, address, length)
        for servo_id in ids:
            group.addParam(servo_id)
        for _ in range(self.retries - 1):
            if group.txRxPacket() == self.sdk.COMM_SUCCESS:
                break
            self.port.clearPort()  # drop the rest of a spoiled reply before asking again
        else:
            self._check(group.txRxPacket(), f"sync read at address {address}")
        values = [group.getData(i, address, length) for i in ids]
        return [v - (1 << 32) if v >= 1 << 31 else v for v in values]

    def close(self) -> None:
        self.port.closePort()
