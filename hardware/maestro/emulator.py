"""A chain of Pololu Maestros on one pty, byte for byte.

Each channel has two moving parts, like the real thing: the pulse the Maestro outputs (ramped
by its speed and acceleration settings; what "get position" reports) and the servo horn that
follows the pulse at the servo's own top speed (what `servo_positions()` reports). A malformed
packet sets the serial protocol error bit and, as on the real board, sends every channel home
(here: off). In CRC mode (`crc=True`) every command must end in its CRC-7 byte; a command with
a wrong one is ignored and sets the serial CRC error bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from facetwin.hardware.maestro import protocol as mp
from facetwin.hardware.serial_bus.emulator import SerialEmulator
from facetwin.hardware.servo_model import VirtualServo

_FIXED_LENGTH = {mp.SET_TARGET: 3, mp.SET_SPEED: 3, mp.SET_ACCELERATION: 3, mp.GET_POSITION: 1, mp.GET_ERRORS: 0}


class MaestroEmulator(SerialEmulator):
    """`devices` are the chained boards' device numbers; global channel = board index * per_device + channel.

    `servo_speed` is the horns' top speed in quarter-microseconds per second (a hobby servo
    sweeps 1000 us in about 0.25 s). In the compact protocol every board obeys and answers,
    as on a real shared line.
    """

    packet_timeout = math.inf
    """The board waits for a packet's tail: its framing (bit 7 marks a command) resynchronises on
    the next command byte, which ends an unfinished packet with a protocol error."""

    def __init__(
        self,
        devices: Sequence[int] = (mp.FACTORY_DEVICE,),
        channels_per_device: int = mp.CHANNELS,
        servo_speed: float = 16000.0,
        rest: int = 6000,
        record_targets: bool = False,
        crc: bool = False,
    ) -> None:
        n = len(devices) * channels_per_device
        super().__init__({c: VirtualServo(float(rest), float(rest), servo_speed) for c in range(n)}, record_targets)
        self.devices = tuple(devices)
        self.channels_per_device = channels_per_device
        self.crc = crc
        self.pulses = {c: VirtualServo(0.0, 0.0, math.inf) for c in range(n)}
        self.errors = dict.fromkeys(self.devices, 0)

    def _move(self, dt: float) -> None:
        for channel, pulse in self.pulses.items():
            pulse.advance(dt)
            servo = self.servos[channel]
            servo.enabled = pulse.enabled
            if pulse.enabled:
                servo.target = pulse.position
            servo.advance(dt)

    def _parse(self) -> None:
        buf = self._buffer
        while buf:
            start = buf[0]
            if start == mp.POLOLU_START:
                if len(buf) < 3:
                    return
                if buf[1] & 0x80 or buf[2] & 0x80:
                    self._protocol_error(self.devices, drop=1)
                    continue
                targets = [i for i, d in enumerate(self.devices) if d == buf[1]]
                code, header = buf[2] | 0x80, 3
            elif start & 0x80:
                targets, code, header = list(range(len(self.devices))), start, 1
            else:
                self._protocol_error(self.devices, drop=1)
                continue
            if code == mp.SET_MULTIPLE_TARGETS:
                if len(buf) < header + 1:
                    return
                length = 2 + 2 * (buf[header] & 0x7F)
            elif code in _FIXED_LENGTH:
                length = _FIXED_LENGTH[code]
            else:
                self._protocol_error([self.devices[i] for i in targets], drop=header)
                continue
            total = header + length + (1 if self.crc else 0)
            if len(buf) < total:
                return
            data = bytes(buf[header : header + length])
            if any(b & 0x80 for b in buf[header:total]):
                # A command byte interrupted an unfinished packet: drop what came before it.
                cut = next(i for i, b in enumerate(buf[header:total]) if b & 0x80)
                self._protocol_error([self.devices[i] for i in targets], drop=header + cut)
                continue
            packet = bytes(buf[:total])
            del buf[:total]
            if self.crc and mp.crc7(packet[:-1]) != packet[-1]:
                for board in targets:
                    self.errors[self.devices[board]] |= mp.CRC_ERROR
                continue
            self.packets += 1
            for board in targets:
                self._execute(board, code, data)

    def _protocol_error(self, devices, drop: int) -> None:
        del self._buffer[:drop]
        for device in devices:
            self.errors[device] |= mp.PROTOCOL_ERROR
        for pulse in self.pulses.values():
            pulse.enabled = False

    def _execute(self, board: int, code: int, data: bytes) -> None:
        base = board * self.channels_per_device

        def channel(local: int) -> int | None:
            if local >= self.channels_per_device:
                self.errors[self.devices[board]] |= mp.PROTOCOL_ERROR
                return None
            return base + local

        def value(lo: int, hi: int) -> int:
            return lo | hi << 7

        if code == mp.SET_TARGET:
            c = channel(data[0])
            if c is not None:
                self._target(c, value(data[1], data[2]))
        elif code == mp.SET_MULTIPLE_TARGETS:
            for k in range(data[0]):
                c = channel(data[1] + k)
                if c is not None:
                    self._target(c, value(data[2 + 2 * k], data[3 + 2 * k]))
        elif code == mp.SET_SPEED:
            c = channel(data[0])
            if c is not None:
                speed = value(data[1], data[2])
                self.pulses[c].speed = 100.0 * speed if speed else math.inf
        elif code == mp.SET_ACCELERATION:
            c = channel(data[0])
            if c is not None:
                self.pulses[c].acceleration = 1250.0 * value(data[1], data[2])
        elif code == mp.GET_POSITION:
            c = channel(data[0])
            position = 0 if c is None or not self.pulses[c].enabled else round(self.pulses[c].position)
            self._reply(position.to_bytes(2, "little"))
        elif code == mp.GET_ERRORS:
            device = self.devices[board]
            self._reply(self.errors[device].to_bytes(2, "little"))
            self.errors[device] = 0

    def _target(self, channel: int, target: int) -> None:
        pulse = self.pulses[channel]
        if self.record_targets:
            self.target_log.append((channel, target))
        if target == 0:
            pulse.enabled = False
            return
        if not pulse.enabled:
            pulse.position = float(target)  # from off, the Maestro jumps: it cannot know where the horn is
        pulse.enabled = True
        pulse.target = float(target)
