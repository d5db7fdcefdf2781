"""Ctrl-C on the command line: KeyboardInterrupt, as Python raises it, but never where it breaks
something or is lost.

Python raises KeyboardInterrupt in whatever code runs when the signal comes. Inside an import,
extension modules turn it into other errors and leave themselves half made: MediaPipe's bindings
report `ImportError: initialization failed` and the process later aborts; a class body raises
`RuntimeError: Error calling __set_name__`. Inside a `__del__`, Python prints "Exception ignored"
and carries on, so the Ctrl-C is lost. There the signal is held and raised again a moment later,
until that code is done: a command starting up (imports are most of a start-up) stops a little
later, but stops cleanly.
"""

from __future__ import annotations

import signal
import threading
import time

RETRY_S = 0.05
"""How soon a held Ctrl-C is tried again."""
HOLD_AT_MOST_S = 10.0
"""An import still running this long after Ctrl-C is interrupted anyway: a command that cannot be
stopped is worse than a half-imported module."""


class _CtrlC:
    """The SIGINT handler: a Ctrl-C in an import or a `__del__` is held, with one retry pending at
    a time, so that however often it is pressed, one KeyboardInterrupt comes out."""

    def __init__(self) -> None:
        self._held_since: float | None = None
        self._retry: threading.Timer | None = None
        self._lock = threading.RLock()  # a handler may run again inside itself, when a signal comes meanwhile

    def __call__(self, signum: int, frame) -> None:
        now = time.monotonic()
        with self._lock:
            if _in_import_or_del(frame) and (self._held_since is None or now - self._held_since < HOLD_AT_MOST_S):
                self._held_since = self._held_since or now
                if self._retry is None:
                    self._retry = threading.Timer(RETRY_S, self._again)
                    self._retry.daemon = True
                    self._retry.start()
                return
            if self._retry is not None:
                self._retry.cancel()
            self._retry = self._held_since = None
        raise KeyboardInterrupt

    def _again(self) -> None:
        with self._lock:
            if self._retry is threading.current_thread():  # not cancelled meanwhile
                self._retry = None
                # To the main thread itself, so that a sleep or a read it is blocked in ends now.
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)


def _in_import_or_del(frame) -> bool:
    """Whether `frame` (the main thread's, when the signal came) runs inside an import or a `__del__`."""
    while frame is not None:
        code = frame.f_code
        if code.co_filename.startswith("<frozen importlib") or code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def interrupt_safely() -> None:
    """From now on Ctrl-C raises KeyboardInterrupt outside imports and `__del__` methods only."""
    signal.signal(signal.SIGINT, _CtrlC())
