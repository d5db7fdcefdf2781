"""Ctrl-C held back while a block that must not stop half way runs, and delivered when it ends.

Switching a face's outputs off is such a block: a KeyboardInterrupt between two servos' disable
packets, or between enabling the outputs and recording that they are on, leaves a servo driven
that nothing will switch off. Someone whose first Ctrl-C seemed slow presses it again, exactly then.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Run the block with SIGINT only noted, then raise the SIGINT that came again for the handler
    it found (by default: KeyboardInterrupt, from the end of the block). Only the main thread
    receives signals, and a handler set outside Python cannot be put back, so there nothing changes."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if came:
            signal.raise_signal(signal.SIGINT)
