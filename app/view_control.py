"""Who may move the face from the viewer, and what it is told to do.

Several browsers may watch one face, but only one at a time moves it: two people pulling the same
slider would fight through a physical face. The controlling browser going away is treated as a
lost controller: the face holds the last command for `hold_s` (a reload or a network hiccup
comes back within that), then relaxes, as the hardware watchdog does with a silent controller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum

import numpy as np

from facetwin.command import validate_command
from facetwin.errors import CommandError
from facetwin.spec import FaceSpec

HOLD_S = 2.0
"""How long the face holds its last command after the controlling browser disconnects."""


class Mode(Enum):
    DRIVE = "drive"  # step the face with the target
    HOLD = "hold"  # the controller is gone: keep stepping the last target for a while
    RELAX = "relax"  # bring the face to neutral and disable its outputs, once
    STOPPED = "stopped"  # outputs off (stop button or relaxed) until a command comes


class ViewControl:
    """The viewer's target command and its owner. Thread-safe: GUI callbacks write it, the control
    loop reads it once per period (`tick`). Every command passes `validate_command`."""

    def __init__(self, spec: FaceSpec, hold_s: float = HOLD_S, clock: Callable[[], float] = time.monotonic):
        self.spec = spec
        self.hold_s = hold_s
        self._clock = clock
        self._lock = threading.Lock()
        self._target = spec.neutral_command.copy()
        self._relax_pending = False
        self.controller: int | None = None
        self.stopped = False
        self.lost_at: float | None = None
        self.accepted = 0
        """Commands accepted from the controller, for the status line and the tests."""
        self.changed_at: float | None = None
        """When the target last changed (`clock`), so the loop can report command-to-frame latency."""

    @property
    def target(self) -> np.ndarray:
        with self._lock:
            return self._target.copy()

    def claim(self, client: int) -> bool:
        """Give control to `client` if nobody holds it; whether `client` controls now."""
        with self._lock:
            if self.controller is None:
                self.controller = client
                self.lost_at = None
            return self.controller == client

    def take(self, client: int) -> None:
        """`client` takes control (a person at the bench pressing "take control")."""
        with self._lock:
            self.controller = client
            self.lost_at = None

    def release(self, client: int) -> None:
        """`client` has gone; if it was in control, the face holds and then relaxes."""
        with self._lock:
            if self.controller == client:
                self.controller = None
                self.lost_at = self._clock()

    def command(self, client: int | None, command) -> np.ndarray:
        """Set the whole target from `client`; CommandError for a bad command or a client that
        only watches. Returns the checked target."""
        checked = validate_command(self.spec, command)
        with self._lock:
            if client is not None and client != self.controller:
                raise CommandError(f"client {client} is watching; client {self.controller} controls the face")
            self._target = checked
            self.stopped = False
            self._relax_pending = False
            self.lost_at = None
            self.accepted += 1
            self.changed_at = self._clock()
            return checked.copy()

    def set_actuator(self, client: int | None, name: str, value: float) -> np.ndarray:
        """One actuator's command from `client`, the others as they are."""
        try:
            index = self.spec.index(name)
        except KeyError as exc:
            raise CommandError(exc.args[0]) from None
        command = self.target.astype(np.float64)
        command[index] = value
        return self.command(client, command)

    def stop(self) -> None:
        """The stop button: neutral, outputs disabled, until the next command."""
        with self._lock:
            self._target = self.spec.neutral_command.copy()
            self._relax_pending = not self.stopped
            self.stopped = True

    def tick(self) -> tuple[Mode, np.ndarray]:
        """What the control loop does this period, and with which command."""
        with self._lock:
            if self._relax_pending:
                self._relax_pending = False
                return Mode.RELAX, self._target.copy()
            if self.stopped:
                return Mode.STOPPED, self._target.copy()
            if self.lost_at is not None:
                if self._clock() - self.lost_at < self.hold_s:
                    return Mode.HOLD, self._target.copy()
                self.lost_at = None
                self._target = self.spec.neutral_command.copy()
                self.stopped = True
                return Mode.RELAX, self._target.copy()
            return Mode.DRIVE, self._target.copy()
