"""A dead-man switch: if nobody calls `kick()` for `timeout` seconds, `on_expire` runs once.

A policy that crashes, hangs or is paused in a debugger must not leave a face frozen in a
grimace with its servos straining: the face ramps to neutral and lets go.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Watchdog:
    def __init__(self, timeout: float, on_expire: Callable[[], None], clock: Callable[[], float] = time.monotonic):
        self.timeout = timeout
        self.on_expire = on_expire
        self.clock = clock
        self.expired = False
        self._last = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self.kick()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="facetwin-watchdog", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._last = self.clock()
        self.expired = False

    def _run(self) -> None:
        poll = min(0.02, self.timeout / 4)
        while not self._stop.wait(poll):
            if not self.expired and self.clock() - self._last > self.timeout:
                self.expired = True
                try:
                    self.on_expire()
                except Exception:  # the thread must survive to guard the next silence
                    log.exception("watchdog action failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._thread = None
