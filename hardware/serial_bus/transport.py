"""A serial port that turns every failure into one clear BackendError.

pyserial is imported only when a port is opened, so `facetwin.hardware` imports without it.
Every read has a timeout: a device that drops a byte or disappears ends in an error or a
retry, never a hang.
"""

from __future__ import annotations

from facetwin.errors import BackendError

WRITE_TIMEOUT = 1.0
"""Seconds a write may take before the device counts as gone. Not the read timeout: pyserial
checks its write deadline after each `os.write`, even one that wrote everything, so a process the
machine left waiting for longer than a short deadline reported a complete write as timed out.
A few bytes that a serial device has not taken in a second mean it is gone."""


class SerialTransport:
    """pyserial underneath; `name` (e.g. "maestro on /dev/ttyACM0") prefixes every error."""

    def __init__(self, port: str, baudrate: int, timeout: float, name: str) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timeout = timeout
        self.name = name
        self._serial = None

    def open(self) -> None:
        try:
            import serial
        except ImportError:
            raise BackendError(f"{self.name}: pyserial is not installed (pip install pyserial)") from None
        try:
            self._serial = serial.Serial(self.port, self.baudrate, timeout=self.timeout, write_timeout=WRITE_TIMEOUT)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise BackendError(f"{self.name}: cannot open the port: {exc}") from None

    def _port(self):
        if self._serial is None:
            raise BackendError(f"{self.name}: the port is not open")
        return self._serial

    def write(self, data: bytes) -> None:
        port = self._port()
        try:
            port.write(data)
            port.flush()
        except Exception as exc:  # pyserial raises SerialException, SerialTimeoutException or OSError
            raise BackendError(f"{self.name}: write failed, device disconnected? ({exc})") from None

    def read(self, n: int) -> bytes:
        """Up to `n` bytes; fewer when the timeout passes first."""
        port = self._port()
        try:
            return bytes(port.read(n))
        except Exception as exc:
            raise BackendError(f"{self.name}: read failed, device disconnected? ({exc})") from None

    def discard_input(self) -> None:
        """Wait until the line is quiet for one timeout and drop what came, so a reply still in
        flight from a spoiled exchange cannot be mistaken for the answer to the retry."""
        port = self._port()
        try:
            port.reset_input_buffer()
            while port.read(4096):
                pass
        except Exception as exc:
            raise BackendError(f"{self.name}: device disconnected? ({exc})") from None

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            finally:
                self._serial = None
