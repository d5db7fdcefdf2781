"""Guards shared by tests that talk to (emulated) devices."""

from __future__ import annotations

import signal
from contextlib import contextmanager


@contextmanager
def time_limit(seconds: float):
    """Fail, never hang: raise TimeoutError in the main thread after `seconds`."""

    def expire(signum, frame):
        raise TimeoutError(f"test exceeded its {seconds:g} s guard")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
