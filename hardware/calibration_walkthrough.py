"""The interactive calibration, as a state machine fed one key at a time.

For each actuator in turn the user nudges its servo with the keys and confirms the end
command -1 should reach, the end +1 should reach, and the rest (neutral) position, which must
lie between them. The order of the two ends gives the direction. An actuator whose neutral
command is an end (-1 or +1) rests at that end: no separate rest is asked, so the end confirmed
is the one it rests at. Only the actuator being calibrated moves, in small steps, inside a range
every servo of that kind tolerates. Driving it from a stream of key names keeps the logic
testable; `terminal_keys` turns a keyboard into that stream.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import numpy as np

from facetwin.errors import FacetwinError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.calibration import ActuatorCalibration, Calibration
from facetwin.spec import FaceSpec

NUDGES = {"left": (0, -1), "right": (0, 1), "down": (1, -1), "up": (1, 1)}
"""key -> (index into bus.nudge: small or large, sign)."""
STEPS = ("minus", "plus", "neutral")
ENDS_ONLY = STEPS[:2]
HELP = "left/right (a/d): small nudge, down/up (s/w): large nudge, enter: confirm, b: back, q: quit"


class CalibrationAborted(FacetwinError):
    """The user quit; nothing was saved."""


class CalibrationWalkthrough:
    """Feed keys with `feed`; when `done`, `result()` is the Calibration. The bus must be open;
    `emulated` says it is an emulator's, which the calibration records."""

    def __init__(self, bus: ServoBus, spec: FaceSpec, robot_id: str, channels: list[int],
                 emulated: bool = False) -> None:
        if len(channels) != spec.n_actuators:
            raise FacetwinError(f"{len(channels)} channels for {spec.n_actuators} actuators")
        self.bus = bus
        self.spec = spec
        self.robot_id = robot_id
        self.channels = channels
        self.emulated = emulated
        self.lower = bus.default_center - 3 * bus.default_half_span // 2
        self.upper = bus.default_center + 3 * bus.default_half_span // 2
        self.index = 0
        self.step = 0
        self.marks: dict[str, int] = {}
        self.done_actuators: list[ActuatorCalibration] = []
        self.message = ""
        self.position = 0
        low, high = bus.position_range
        # A servo keeps the last calibration's limits (EEPROM): lift them, or the new ends may be out of reach.
        bus.write_limits(channels, [low] * len(channels), [high] * len(channels))
        self._begin_actuator()

    @property
    def done(self) -> bool:
        return self.index >= self.spec.n_actuators

    @property
    def channel(self) -> int:
        return self.channels[self.index]

    @property
    def steps(self) -> tuple[str, ...]:
        """The positions to confirm for the current actuator."""
        return STEPS if self.spec.actuators[self.index].rest_end is None else ENDS_ONLY

    def _begin_actuator(self) -> None:
        self.step, self.marks = 0, {}
        if self.done:
            return
        start = float("nan")
        if self.bus.can_read:
            start = float(self.bus.read_positions([self.channel])[0])
        self.bus.enable([self.channel])
        self.position = round(start) if np.isfinite(start) else self.bus.default_center
        self._move(self.position)

    def _move(self, value: int) -> None:
        self.position = int(min(self.upper, max(self.lower, value)))
        self.bus.write_targets([self.channel], [self.position])

    @property
    def prompt(self) -> str:
        if self.done:
            return "all actuators calibrated"
        actuator = self.spec.actuators[self.index]
        goal = {
            "minus": f"the end command -1 reaches (at {actuator.low:g} {actuator.unit})",
            "plus": f"the end command +1 reaches (at {actuator.high:g} {actuator.unit})",
            "neutral": f"the rest position (at {actuator.neutral:g} {actuator.unit})",
        }[self.steps[self.step]]
        return (f"[{self.index + 1}/{self.spec.n_actuators}] {actuator.name} on channel {self.channel}: "
                f"move to {goal}; now {self.position} {self.bus.unit}")

    def feed(self, key: str) -> None:
        if self.done:
            return
        self.message = ""
        if key in NUDGES:
            size, sign = NUDGES[key]
            self._move(self.position + sign * self.bus.nudge[size])
        elif key == "enter":
            self._confirm()
        elif key == "back" and self.step > 0:
            self.step -= 1
            self.marks.pop(self.steps[self.step], None)
        elif key == "quit":
            raise CalibrationAborted("calibration aborted; nothing was saved")

    def _confirm(self) -> None:
        name = self.steps[self.step]
        if name == "plus" and self.position == self.marks["minus"]:
            self.message = "the two ends must differ: nudge before confirming"
            return
        if name == "neutral":
            low, high = sorted((self.marks["minus"], self.marks["plus"]))
            if not low <= self.position <= high:
                self.message = f"neutral must lie between the ends [{low}, {high}]"
                return
        self.marks[name] = self.position
        self.step += 1
        if self.step < len(self.steps):
            return
        actuator = self.spec.actuators[self.index]
        minus, plus = self.marks["minus"], self.marks["plus"]
        neutral = self.marks.get("neutral", minus if actuator.rest_end == -1 else plus)
        self.done_actuators.append(ActuatorCalibration(
            name=actuator.name, channel=self.channel, min=min(minus, plus), max=max(minus, plus),
            neutral=neutral, direction=1 if plus > minus else -1))
        self._move(neutral)  # it waits at rest while the others are calibrated
        self.index += 1
        self._begin_actuator()

    def run(self, keys: Iterable[str], show=None) -> Calibration:
        """Consume keys until every actuator is confirmed; `show(text)` displays prompts and messages."""
        for key in keys:
            if show is not None:
                show(self.message or self.prompt)
            self.feed(key)
            if self.done:
                return self.result()
        raise CalibrationAborted("the keys ran out before every actuator was calibrated; nothing was saved")

    def result(self) -> Calibration:
        if not self.done:
            raise FacetwinError(f"calibration unfinished: {self.spec.actuators[self.index].name} is next")
        return Calibration(robot_id=self.robot_id, bus=self.bus.kind, emulated=self.emulated, unit=self.bus.unit,
                           face=self.spec.name, spec_digest=self.spec.digest, actuators=tuple(self.done_actuators))


_ESCAPES = {"[A": "up", "[B": "down", "[C": "right", "[D": "left"}
_LETTERS = {"a": "left", "d": "right", "s": "down", "w": "up", "\r": "enter", "\n": "enter", "b": "back",
            "q": "quit", "\x03": "quit"}


def keys_from_chars(chars: Iterable[str]) -> Iterator[str]:
    """Key names from typed characters (arrow-key escape sequences or letters)."""
    chars = iter(chars)
    for char in chars:
        if char == "\x1b":
            sequence = next(chars, "") + next(chars, "")
            if sequence in _ESCAPES:
                yield _ESCAPES[sequence]
        elif char in _LETTERS:
            yield _LETTERS[char]


def terminal_keys(stream=None) -> Iterator[str]:
    """Keys as they are pressed (raw mode) on a terminal; character by character from a pipe."""
    stream = stream or sys.stdin

    def chars() -> Iterator[str]:
        while char := stream.read(1):
            yield char

    if not stream.isatty():
        yield from keys_from_chars(chars())
        return
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield from keys_from_chars(chars())
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def calibrate_interactively(backend: str, spec: FaceSpec, robot_id: str, keys: Iterable[str], show) -> Calibration:
    """Open the bus for `backend`, walk through every actuator, disable the outputs, return the result."""
    from facetwin.hardware.backend_url import open_bus, parse_backend
    from facetwin.hardware.bus_kinds import BUS_KINDS

    address = parse_backend(backend)
    channels = BUS_KINDS[address.kind].default_channels(spec.n_actuators)
    bus, owned = open_bus(backend, channels, spec.n_actuators)
    try:
        bus.open()
        show(HELP)
        try:
            return CalibrationWalkthrough(bus, spec, robot_id, channels, address.emulated).run(keys, show)
        finally:
            bus.disable(channels)
    finally:
        bus.close()
        for emulator in owned:
            emulator.stop()
