"""What every serial device emulator shares: a pty, a background thread, wall-clock servo
motion, a log of the targets it parsed, and injectable faults.

Faults are the ones a real bench produces: a byte lost on the way in or out, a reply with a
bad checksum, a device that stops answering, a cable pulled (`unplug`).

Like the devices, an emulator survives line noise: a packet still incomplete `packet_timeout`
seconds after its first byte came is abandoned one byte at a time, so a corrupt length field
(which announces a packet that never comes) costs one timeout instead of the link, and a
packet the device cannot make sense of is dropped, never allowed to stop the thread.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

from facetwin.hardware.serial_bus.pty_link import PtyLink
from facetwin.hardware.servo_model import VirtualServo


@dataclass
class Faults:
    """Counters of faults still to inject; each is consumed by the next packet it can spoil."""

    drop_reply_bytes: int = 0
    """Replies that lose their last byte."""
    corrupt_replies: int = 0
    """Replies whose checksum (last byte) is flipped."""
    drop_request_bytes: int = 0
    """Incoming bytes the device never sees."""
    silent: bool = False
    """The device parses nothing and answers nothing (powered off, wrong baud rate)."""


class SerialEmulator(ABC):
    """A serial device on a pty. Subclasses parse `self._buffer` and call `self._reply`.

    `record_targets` makes the emulator keep every (channel, target) it parsed, so tests can
    check what reached the device from the device's side.
    """

    packet_timeout: float = 0.02
    """Seconds a partial packet may wait for its tail; a driver's own reply timeout is longer."""

    def __init__(self, servos: dict[int, VirtualServo], record_targets: bool = False) -> None:
        self.servos = servos
        self.faults = Faults()
        self.record_targets = record_targets
        self.target_log: list[tuple[int, int]] = []
        self.packets = 0
        self._buffer = bytearray()
        self._partial_since: float | None = None
        """When the incomplete packet at the head of `_buffer` began, None when it is empty."""
        self._lock = threading.RLock()
        self._link: PtyLink | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_advance = time.monotonic()

    @property
    def port(self) -> str:
        if self._link is None:
            raise RuntimeError("the emulator is not started")
        return self._link.port

    def start(self) -> SerialEmulator:
        self._link = PtyLink()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"{type(self).__name__}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread and close the pty; idempotent."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._link is not None:
            self._link.close()
            self._link = None

    unplug = stop
    """To the driver, stopping looks like a pulled cable: the tty goes away."""

    def __enter__(self) -> SerialEmulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _run(self) -> None:
        link = self._link
        while not self._stop.is_set():
            self._receive(link.read(0.01))
        self._receive(link.read(0.0))  # bytes sent before `stop` (the disable on close) still arrive

    def _receive(self, data: bytes) -> None:
        with self._lock:
            self._advance()
            if self.faults.silent:
                return
            if data:
                if self.faults.drop_request_bytes:
                    self.faults.drop_request_bytes -= 1
                    data = data[1:]
                self._buffer += data
                self._parse_tracking_partial()
            while self._partial_since is not None and time.monotonic() - self._partial_since > self.packet_timeout:
                del self._buffer[0]  # give up on the stale packet's first byte and resynchronise after it
                self._parse_tracking_partial()

    def _parse_tracking_partial(self) -> None:
        """Parse, and restart the partial-packet clock when the head of the buffer moved on."""
        before = len(self._buffer)
        self._parse()
        if not self._buffer:
            self._partial_since = None
        elif self._partial_since is None or len(self._buffer) < before:
            self._partial_since = time.monotonic()

    def _advance(self) -> None:
        now = time.monotonic()
        dt, self._last_advance = now - self._last_advance, now
        self._move(dt)

    def _move(self, dt: float) -> None:
        for servo in self.servos.values():
            servo.advance(dt)

    def _reply(self, packet: bytes) -> None:
        if self.faults.corrupt_replies:
            self.faults.corrupt_replies -= 1
            packet = packet[:-1] + bytes([packet[-1] ^ 0xFF])
        if self.faults.drop_reply_bytes:
            self.faults.drop_reply_bytes -= 1
            packet = packet[:-1]
        self._link.write(packet)

    def _set_target(self, channel: int, target: int) -> None:
        self.servos[channel].target = float(target)
        if self.record_targets:
            self.target_log.append((channel, target))

    @abstractmethod
    def _parse(self) -> None:
        """Consume complete packets from `self._buffer`, leaving an incomplete tail."""

    def servo_positions(self) -> dict[int, float]:
        """Where each virtual servo horn is now (device units), e.g. to drive a twin from it."""
        with self._lock:
            self._advance()
            return {channel: servo.position for channel, servo in self.servos.items()}

    def targets(self) -> dict[int, float]:
        with self._lock:
            self._advance()
            return {channel: servo.target for channel, servo in self.servos.items()}

    def enabled(self) -> dict[int, bool]:
        """Whether each servo is driven now (brought up to date first: a Maestro's servo follows its pulse)."""
        with self._lock:
            self._advance()
            return {channel: servo.enabled for channel, servo in self.servos.items()}
