"""Dynamixel X-series servos over Protocol 2.0 (U2D2 or any USB-RS485/TTL adapter).

Targets are position ticks (0..4095 over one turn). Goal positions go out in one sync write,
present positions come back from one sync read (each servo answers in turn), torque is
switched with a sync write of the torque-enable byte. The packets are built by facetwin
(`dynamixel.protocol`); with `use_sdk=True` the ROBOTIS dynamixel-sdk, an optional extra imported
only then, sends the same bytes instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from facetwin.errors import BackendError
from facetwin.hardware.dynamixel import protocol as dx
from facetwin.hardware.serial_bus.servo_bus import ControlTable, ReadRequest, SerialServoBus
from facetwin.hardware.serial_bus.status_exchange import Status


class DynamixelBus(SerialServoBus):
    """X-series servos at `ids`; `use_sdk=True` sends the same transactions through dynamixel-sdk."""

    kind = "dynamixel"
    table = ControlTable(dx.ADDR_TORQUE_ENABLE, dx.ADDR_GOAL_POSITION, dx.ADDR_PRESENT_POSITION, dx.POSITION_BYTES,
                         dx.ADDR_MIN_POSITION_LIMIT, dx.ADDR_MAX_POSITION_LIMIT)
    default_baudrate = 57600

    def __init__(self, port: str, ids: Sequence[int] = (), baudrate: int | None = None, timeout: float = 0.05,
                 retries: int = 3, use_sdk: bool = False) -> None:
        super().__init__(port, ids, baudrate, timeout, retries)
        self.use_sdk = use_sdk
        self._sdk = None

    def _connect(self) -> None:
        if self.use_sdk:
            self._sdk = _SdkLink(self._io.port, self._io.baudrate, self.name, self.retries)
        else:
            super()._connect()

    def ping(self, servo_id: int) -> int:
        """The servo's model number; a clear error if nothing answers at that id."""
        if self._sdk is not None:
            return self._sdk.ping(servo_id)
        return int.from_bytes(super().ping(servo_id)[:2], "little")

    def _read_registers(self, address: int, ids: list[int], name: str) -> list[int]:
        if self._sdk is None:
            return super()._read_registers(address, ids, name)
        return self._sdk.sync_read(address, self.table.position_bytes, ids)

    def close(self) -> None:
        if self._sdk is not None:
            self._sdk.close()
            self._sdk = None
        super().close()

    def _sync_write(self, address: int, length: int, data: dict[int, bytes]) -> None:
        if self._sdk is not None:
            self._sdk.sync_write(address, length, data)
        else:
            super()._sync_write(address, length, data)

    def _ping_packet(self, servo_id: int) -> bytes:
        return dx.packet(servo_id, dx.PING)

    def _sync_write_packet(self, address: int, length: int, data: dict[int, bytes]) -> bytes:
        return dx.sync_write(address, length, data)

    def _read_requests(self, address: int, length: int, ids: list[int], name: str) -> list[ReadRequest]:
        return [(dx.sync_read(address, length, ids), ids, f"sync read of {name}s")]

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

    def _encode_position(self, value: int) -> bytes:
        return dx.encode_position(value)

    def _decode_position(self, data: bytes) -> int:
        return dx.decode_position(data)


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

    def sync_write(self, address: int, length: int, data: dict[int, bytes]) -> None:
        group = self.sdk.GroupSyncWrite(self.port, self.handler, address, length)
        for servo_id, value in data.items():
            group.addParam(servo_id, list(value))
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
