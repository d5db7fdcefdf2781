"""Pololu Maestro servo controllers over their USB virtual serial port.

Targets are in quarter-microseconds, the Maestro's own unit (6000 = 1500 us). One Maestro is
driven with the compact protocol; a chain of Maestros sharing one line (needed beyond 24
channels) with the Pololu protocol, which prefixes each command with 0xAA and a device number
so only the addressed board answers. Channel k of the bus is channel k % per_device of the
k // per_device-th device.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facetwin.errors import BackendError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.channel_runs import contiguous_runs
from facetwin.hardware.maestro import protocol as mp
from facetwin.hardware.serial_bus.transport import SerialTransport


class MaestroBus(ServoBus):
    """A Maestro (or a chain of them) on one serial port.

    `speed` and `acceleration` are the Maestro's own ramp limits, sent to every channel when it
    is enabled: a second, device-side speed limit behind the face's slew limit. `crc=True` matches
    the Maestro's "Enable CRC" serial setting: every command then carries a CRC-7 byte, and the
    device ignores (and flags) a command the line spoiled instead of moving a servo.
    """

    kind = "maestro"
    unit = "quarter-microseconds"
    can_read = True
    default_center = 6000
    default_half_span = 2000
    nudge = (20, 200)
    position_range = (1, mp.MAX_TARGET)
    """Target 0 switches the output off, so it is never a servo end."""

    def __init__(
        self,
        port: str,
        devices: Sequence[int] = (mp.FACTORY_DEVICE,),
        channels_per_device: int = mp.CHANNELS,
        speed: int = 0,
        acceleration: int = 0,
        baudrate: int = 115200,
        timeout: float = 0.05,
        retries: int = 3,
        crc: bool = False,
    ) -> None:
        if not devices:
            raise BackendError("a Maestro bus needs at least one device number")
        self.devices = tuple(devices)
        self.channels_per_device = channels_per_device
        self.speed = speed
        self.acceleration = acceleration
        self.retries = retries
        self.crc = crc
        self._io = SerialTransport(port, baudrate, timeout, f"maestro on {port}")

    @property
    def address(self) -> str:
        return self._io.port

    @property
    def n_channels(self) -> int:
        return len(self.devices) * self.channels_per_device

    def _locate(self, channel: int) -> tuple[int | None, int]:
        """(device number or None for the compact protocol, channel on that device)."""
        if not 0 <= channel < self.n_channels:
            raise BackendError(f"{self._io.name}: channel {channel} does not exist (0..{self.n_channels - 1})")
        board, local = divmod(channel, self.channels_per_device)
        return (None if len(self.devices) == 1 else self.devices[board]), local

    def _seal(self, packet: bytes) -> bytes:
        """One command as it goes on the line: with its CRC byte in CRC mode."""
        return packet + bytes((mp.crc7(packet),)) if self.crc else packet

    def open(self) -> None:
        self._io.open()
        errors = self.read_errors()
        if errors:
            # Errors left over from before we connected (e.g. a boot-time framing error) are cleared by reading.
            errors = self.read_errors()
        if errors:
            raise BackendError(f"{self._io.name}: the device reports {', '.join(errors)}")

    def write_targets(self, channels: Sequence[int], targets: Sequence[int]) -> None:
        by_device: dict[int | None, list[tuple[int, int]]] = {}
        for channel, target in zip(channels, targets):
            device, local = self._locate(int(channel))
            by_device.setdefault(device, []).append((local, int(target)))
        packet = bytearray()
        for device, pairs in by_device.items():
            for first, run in contiguous_runs(pairs):
                if len(run) == 1:
                    packet += self._seal(mp.set_target(first, run[0], device))
                else:
                    packet += self._seal(mp.set_multiple_targets(first, run, device))
        self._io.write(bytes(packet))

    def _query(self, request: bytes, n_reply: int, what: str) -> bytes:
        """Send `request` and read `n_reply` bytes, retrying after a timeout (a lost byte)."""
        for _ in range(self.retries):
            self._io.write(request)
            reply = self._io.read(n_reply)
            if len(reply) == n_reply:
                return reply
            self._io.discard_input()
        raise BackendError(f"{self._io.name}: no complete reply to {what} after {self.retries} tries")

    def read_positions(self, channels: Sequence[int]) -> np.ndarray:
        """All positions in one round trip (requests pipelined, replies in order); NaN for a channel that is off."""
        request = b"".join(self._seal(mp.get_position(local, device)) for device, local in map(self._locate, channels))
        reply = self._query(request, 2 * len(channels), f"get position of channels {list(channels)}")
        positions = np.frombuffer(reply, dtype="<u2").astype(np.float64)
        positions[positions == 0] = np.nan  # 0 means the output is off: the Maestro cannot know where the horn is
        return positions

    def read_errors(self) -> list[str]:
        """The devices' error registers (reading clears them), as names."""
        names: list[str] = []
        for device in self.devices if len(self.devices) > 1 else (None,):
            value = int.from_bytes(self._query(self._seal(mp.get_errors(device)), 2, "get errors"), "little")
            names += mp.decode_errors(value)
        return names

    def enable(self, channels: Sequence[int]) -> None:
        """Send the ramp limits; pulses start with the next target (the Maestro has no torque switch)."""
        packet = bytearray()
        for device, local in map(self._locate, channels):
            packet += self._seal(mp.set_speed(local, self.speed, device))
            packet += self._seal(mp.set_acceleration(local, self.acceleration, device))
        self._io.write(bytes(packet))

    def disable(self, channels: Sequence[int]) -> None:
        """Target 0 stops the pulses on a channel: the servo goes limp."""
        self.write_targets(channels, [0] * len(channels))

    def write_limits(self, channels: Sequence[int], lows: Sequence[int], highs: Sequence[int]) -> None:
        """Nothing to write: a Maestro channel's min/max are set over USB (Maestro Control Center),
        and the serial protocol has no command for them."""
        return

    def close(self) -> None:
        self._io.close()
