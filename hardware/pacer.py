"""Keeps `step` on the control clock: each call returns one control period after the last.

Pacing is injectable (clock, sleep) and can be switched off, so tests and fuzzing run the real
code path as fast as the CPU allows.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    def __init__(self, period: float, enabled: bool = True, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.period = period
        self.enabled = enabled
        self.clock = clock
        self.sleep = sleep
        self._next: float | None = None

    def restart(self) -> None:
        self._next = self.clock() + self.period

    def wait(self) -> None:
        """Sleep until the next tick; after a stall, resume from now rather than bursting to catch up."""
        if not self.enabled:
            return
        if self._next is None:
            self.restart()
        delay = self._next - self.clock()
        if delay > 0:
            self.sleep(delay)
            self._next += self.period
        else:
            self._next = self.clock() + self.period
