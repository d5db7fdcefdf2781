"""Dynamixel X-series servos on a pty, speaking Protocol 2.0 byte for byte.

Each servo has an X-series control table (model number, position limits at 48 and 52, torque
enable at 64, goal position at 116, present position at 132). A goal beyond the position limits
is refused, as the servo does: the goal stays, and a write is answered with a data limit error.
Writes into the EEPROM part of the table (below 64) are counted per servo (`eeprom_writes`): a
real servo's EEPROM wears with each.
A unicast packet with a bad CRC is answered with error 3 (CRC error), as the e-manual says;
broadcasts are never answered. A header whose length field announces more than ever arrives is
abandoned after the packet timeout (`SerialEmulator`).
"""

from __future__ import annotations

from collections.abc import Sequence

from facetwin.hardware.dynamixel import protocol as dx
from facetwin.hardware.serial_bus.emulator import SerialEmulator
from facetwin.hardware.servo_model import VirtualServo

MODEL_XL430_W250 = 1060
DATA_LIMIT_ERROR = 6


class DynamixelEmulator(SerialEmulator):
    """Servos at `ids`; `servo_speed` in ticks/s (an XL430 turns about 1.3 rev/s unloaded)."""

    def __init__(self, ids: Sequence[int] = tuple(range(1, 27)), servo_speed: float = 5000.0, rest: int = 2048,
                 record_targets: bool = False) -> None:
        super().__init__({i: VirtualServo(float(rest), float(rest), servo_speed) for i in ids}, record_targets)
        self.tables = {i: self._table(i, rest) for i in ids}
        self.eeprom_writes = dict.fromkeys(ids, 0)

    @staticmethod
    def _table(servo_id: int, rest: int) -> bytearray:
        table = bytearray(256)
        table[dx.ADDR_MODEL_NUMBER : dx.ADDR_MODEL_NUMBER + 2] = MODEL_XL430_W250.to_bytes(2, "little")
        table[6] = 45  # firmware version
        table[7] = servo_id
        table[dx.ADDR_GOAL_POSITION : dx.ADDR_GOAL_POSITION + dx.POSITION_BYTES] = dx.encode_position(rest)
        table[dx.ADDR_MAX_POSITION_LIMIT : dx.ADDR_MAX_POSITION_LIMIT + 4] = dx.encode_position(4095)  # factory
        table[dx.ADDR_MIN_POSITION_LIMIT : dx.ADDR_MIN_POSITION_LIMIT + 4] = dx.encode_position(0)
        return table

    def _parse(self) -> None:
        buf = self._buffer
        while buf:
            start = buf.find(dx.HEADER)
            if start < 0:
                del buf[: max(0, len(buf) - 3)]  # keep a possible partial header
                return
            del buf[:start]
            try:
                packet, used = dx.split(buf)
            except dx.Incomplete:
                return
            except dx.Corrupt as exc:
                del buf[: exc.length]
                if exc.servo_id in self.tables:
                    self._reply(dx.status(exc.servo_id, 3))
                continue
            del buf[:used]
            self.packets += 1
            self._execute(packet)

    def _execute(self, packet: dx.Packet) -> None:
        p = packet.params
        if packet.instruction == dx.SYNC_WRITE:
            address, length = int.from_bytes(p[0:2], "little"), int.from_bytes(p[2:4], "little")
            for offset in range(4, len(p) - length, length + 1):
                if p[offset] in self.tables:
                    self._store(p[offset], address, p[offset + 1 : offset + 1 + length])
        elif packet.instruction == dx.SYNC_READ:
            address, length = int.from_bytes(p[0:2], "little"), int.from_bytes(p[2:4], "little")
            for servo_id in p[4:]:
                if servo_id in self.tables:
                    self._reply(dx.status(servo_id, 0, self._load(servo_id, address, length)))
        elif packet.servo_id in self.tables or packet.servo_id == dx.BROADCAST_ID:
            ids = list(self.tables) if packet.servo_id == dx.BROADCAST_ID else [packet.servo_id]
            for servo_id in ids:
                self._unicast(servo_id, packet)

    def _unicast(self, servo_id: int, packet: dx.Packet) -> None:
        p = packet.params
        if packet.instruction == dx.PING:
            self._reply(dx.status(servo_id, 0, self._load(servo_id, dx.ADDR_MODEL_NUMBER, 2) + bytes((45,))))
            return
        if packet.servo_id == dx.BROADCAST_ID:
            return  # only ping answers a broadcast
        if packet.instruction == dx.READ:
            address, length = int.from_bytes(p[0:2], "little"), int.from_bytes(p[2:4], "little")
            self._reply(dx.status(servo_id, 0, self._load(servo_id, address, length)))
        elif packet.instruction == dx.WRITE:
            stored = self._store(servo_id, int.from_bytes(p[0:2], "little"), p[2:])
            self._reply(dx.status(servo_id, 0 if stored else DATA_LIMIT_ERROR))
        else:
            self._reply(dx.status(servo_id, 2))

    def _store(self, servo_id: int, address: int, data: bytes) -> bool:
        """False when a goal beyond the position limits was refused."""
        table = self.tables[servo_id]
        data = data[: max(0, len(table) - address)]  # beyond the control table nothing is stored
        if data and address < dx.EEPROM_END:
            self.eeprom_writes[servo_id] += 1
        goal_before = bytes(table[dx.ADDR_GOAL_POSITION : dx.ADDR_GOAL_POSITION + dx.POSITION_BYTES])
        table[address : address + len(data)] = data
        servo = self.servos[servo_id]
        if address <= dx.ADDR_TORQUE_ENABLE < address + len(data):
            servo.enabled = bool(table[dx.ADDR_TORQUE_ENABLE])
        if address <= dx.ADDR_GOAL_POSITION < address + len(data):
            goal = dx.decode_position(table[dx.ADDR_GOAL_POSITION :])
            limits = (dx.ADDR_MIN_POSITION_LIMIT, dx.ADDR_MAX_POSITION_LIMIT)
            low, high = (dx.decode_position(table[a:]) for a in limits)
            if not low <= goal <= high:
                table[dx.ADDR_GOAL_POSITION : dx.ADDR_GOAL_POSITION + dx.POSITION_BYTES] = goal_before
                return False
            self._set_target(servo_id, goal)
        return True

    def _load(self, servo_id: int, address: int, length: int) -> bytes:
        table = self.tables[servo_id]
        table[dx.ADDR_PRESENT_POSITION : dx.ADDR_PRESENT_POSITION + dx.POSITION_BYTES] = dx.encode_position(
            round(self.servos[servo_id].position))
        return bytes(table[address : address + length])
