"""Keeping MediaPipe's and TFLite's native log lines out of a command's output.

Their C++ loggers write straight to file descriptor 2 and ignore Python's logging and, in the
MediaPipe versions the project supports, the glog environment variables. So the descriptor itself
is pointed at /dev/null and Python's own stderr (errors, progress bars, prompts) keeps the
terminal through a copy of it.
"""

from __future__ import annotations

import os
import sys


def silence_native_stderr() -> None:
    """Send what native libraries write to fd 2 to /dev/null; Python's `sys.stderr` still reaches
    the terminal. Only for the real command line: under a test runner fd 2 belongs to the runner."""
    sys.stderr.flush()
    # The copy becomes Python's stderr first: a Ctrl-C at any point here still has a terminal to report to.
    sys.stderr = os.fdopen(os.dup(2), "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
