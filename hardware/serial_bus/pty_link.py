"""A pseudo-terminal pair: the driver opens the slave's tty name with pyserial, exactly as it
opens /dev/ttyACM0, while an emulator speaks the device's bytes on the master side."""

from __future__ import annotations

import os
import select
import tty


class PtyLink:
    """Owns both ends. The slave stays open so the master never sees a hang-up between opens."""

    def __init__(self) -> None:
        self.master_fd, self._slave_fd = os.openpty()
        tty.setraw(self._slave_fd)
        self.port = os.ttyname(self._slave_fd)
        os.set_blocking(self.master_fd, False)

    def read(self, timeout: float) -> bytes:
        """Bytes the driver wrote, or b"" after `timeout`."""
        if self.master_fd < 0:
            return b""
        ready, _, _ = select.select([self.master_fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self.master_fd, 4096)
        except (BlockingIOError, OSError):
            return b""

    def write(self, data: bytes) -> None:
        """Send `data` to the driver; what its full input buffer refuses is lost, as a device's
        UART does not wait for a host that stopped reading."""
        view = memoryview(data)
        while view and self.master_fd >= 0:
            try:
                view = view[os.write(self.master_fd, view) :]
            except BlockingIOError:
                return

    def close(self) -> None:
        """Close both ends: to the driver it looks like the USB cable was pulled."""
        for fd in (self.master_fd, self._slave_fd):
            if fd >= 0:
                os.close(fd)
        self.master_fd = self._slave_fd = -1
