"""PCA9685 16-channel PWM boards over I2C (smbus2), several boards chained on one bus.

The chip counts 4096 ticks per PWM period; a servo pulse is ON at tick 0 and OFF at tick
`counts`. Targets are in microseconds and converted with the period the prescaler actually
gives (25 MHz / (4096 * (121 + 1)) = 50.03 Hz, not exactly 50). The chip cannot report where a
servo is, so `can_read` is False. Channel k of the bus is channel k % 16 of the k // 16-th
address.

I2C carries no checksum, so a glitch can put a board to sleep, stop its auto-increment or
change its period unnoticed. Every `write_targets` therefore reads MODE1, MODE2 and PRE_SCALE
back first and sets a board up again when they are not what `open` left, and each target's four
LED registers are rewritten whole: one control period undoes what noise did to a driven channel.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from facetwin.errors import BackendError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.channel_runs import contiguous_runs
from facetwin.hardware.pca9685 import protocol as reg


class PCA9685Bus(ServoBus):
    """`bus` is an I2C bus number (opened with smbus2) or an object with smbus2's methods."""

    kind = "pca9685"
    unit = "microseconds"
    can_read = False
    default_center = 1500
    default_half_span = 500
    nudge = (5, 50)
    position_range = reg.pulse_range_us(50.0)
    """At the default 50 Hz; an instance has the range of its own frequency."""

    def __init__(self, bus: int | object, addresses: Sequence[int] = (reg.FIRST_ADDRESS,), frequency: float = 50.0,
                 retries: int = 3) -> None:
        if not addresses:
            raise BackendError("a PCA9685 bus needs at least one I2C address")
        self._bus_arg = bus
        self.addresses = tuple(addresses)
        self.prescale = reg.prescale_for(frequency)
        self.period_us = reg.period_us(self.prescale)
        self.position_range = reg.pulse_range_us(frequency)
        self.retries = retries
        self._smbus = None
        self._awake = dict.fromkeys(self.addresses, False)
        self._enabled: set[int] = set()

    @property
    def address(self) -> str:
        where = self._bus_arg if isinstance(self._bus_arg, int) else type(self._bus_arg).__name__
        return f"i2c {where} at {', '.join(hex(a) for a in self.addresses)}"

    @property
    def n_channels(self) -> int:
        return reg.CHANNELS * len(self.addresses)

    def _locate(self, channel: int) -> tuple[int, int]:
        if not 0 <= channel < self.n_channels:
            raise BackendError(
                f"pca9685 on {self.address}: channel {channel} does not exist (0..{self.n_channels - 1})"
            )
        board, local = divmod(channel, reg.CHANNELS)
        return self.addresses[board], local

    def _call(self, method: str, address: int, *args):
        """One I2C transfer, retried: a single NACK on a noisy bus should not stop a face."""
        if self._smbus is None:
            raise BackendError(f"pca9685 on {self.address}: the bus is not open")
        for attempt in range(self.retries):
            try:
                return getattr(self._smbus, method)(address, *args)
            except OSError as exc:
                if attempt == self.retries - 1:
                    raise BackendError(
                        f"pca9685 at {hex(address)}: {method} failed {self.retries} times, device gone? ({exc})"
                    ) from None

    def counts(self, pulse_us: float) -> int:
        return int(min(4095, max(0, round(pulse_us * 4096 / self.period_us))))

    def open(self) -> None:
        if isinstance(self._bus_arg, int):
            try:
                from smbus2 import SMBus
            except ImportError:
                raise BackendError("pca9685: smbus2 is not installed (pip install smbus2)") from None
            try:
                self._smbus = SMBus(self._bus_arg)
            except OSError as exc:
                raise BackendError(f"pca9685: cannot open I2C bus {self._bus_arg}: {exc}") from None
        else:
            self._smbus = self._bus_arg
        for address in self.addresses:
            self._set_up(address)
            self._call("write_i2c_block_data", address, reg.ALL_LED_ON_L, [0, 0, 0, reg.FULL])  # every output off

    def _set_up(self, address: int) -> None:
        """Prescaler and output mode, leaving the board asleep: the prescaler only accepts
        writes while the oscillator sleeps."""
        mode1 = self._call("read_byte_data", address, reg.MODE1)
        mode1 = (mode1 & ~reg.RESTART & 0xFF) | reg.SLEEP | reg.AUTO_INCREMENT
        self._call("write_byte_data", address, reg.MODE1, mode1)
        self._call("write_byte_data", address, reg.PRESCALE, self.prescale)
        self._call("write_byte_data", address, reg.MODE2, reg.OUTDRV)
        self._awake[address] = False

    def _restore(self, address: int) -> None:
        """Set an awake board up again if its mode or prescaler is not what `open` and `_wake` left."""
        mode1 = self._call("read_byte_data", address, reg.MODE1)
        intact = (mode1 & (reg.SLEEP | reg.AUTO_INCREMENT) == reg.AUTO_INCREMENT
                  and self._call("read_byte_data", address, reg.MODE2) == reg.OUTDRV
                  and self._call("read_byte_data", address, reg.PRESCALE) == self.prescale)
        if not intact:
            self._set_up(address)
            self._wake(address)

    def _wake(self, address: int) -> None:
        mode1 = self._call("read_byte_data", address, reg.MODE1)
        self._call("write_byte_data", address, reg.MODE1, mode1 & ~reg.SLEEP & ~reg.RESTART & 0xFF)
        time.sleep(0.0005)  # the oscillator needs 500 us before PWM restarts
        if mode1 & reg.RESTART:
            self._call("write_byte_data", address, reg.MODE1, (mode1 & ~reg.SLEEP & 0xFF) | reg.RESTART)
        self._awake[address] = True

    def enable(self, channels: Sequence[int]) -> None:
        """Wake the boards; a channel's pulses start with its next target."""
        for address, _ in map(self._locate, channels):
            if not self._awake[address]:
                self._wake(address)
        self._enabled.update(int(c) for c in channels)

    def _write_blocks(self, pairs_by_address: dict[int, list[tuple[int, list[int]]]]) -> None:
        for address, pairs in pairs_by_address.items():
            for first, run in contiguous_runs(pairs):
                for start in range(0, len(run), reg.BLOCK_CHANNELS):
                    block = [b for registers in run[start : start + reg.BLOCK_CHANNELS] for b in registers]
                    self._call("write_i2c_block_data", address, reg.led_register(first + start), block)

    def write_targets(self, channels: Sequence[int], targets: Sequence[int]) -> None:
        pairs: dict[int, list] = {}
        for channel, target in zip(channels, targets):
            if int(channel) not in self._enabled:
                raise BackendError(f"pca9685 on {self.address}: channel {channel} is not enabled")
            address, local = self._locate(int(channel))
            off = self.counts(float(target))
            pairs.setdefault(address, []).append((local, [0, 0, off & 0xFF, off >> 8]))
        for address in pairs:
            self._restore(address)
        self._write_blocks(pairs)

    def read_positions(self, channels: Sequence[int]) -> np.ndarray:
        raise BackendError(f"pca9685 on {self.address}: a PWM board cannot read servo positions")

    def disable(self, channels: Sequence[int]) -> None:
        """Full-off on each channel; a board with no channel left enabled goes to sleep."""
        pairs: dict[int, list] = {}
        for channel in channels:
            address, local = self._locate(int(channel))
            pairs.setdefault(address, []).append((local, [0, 0, 0, reg.FULL]))
            self._enabled.discard(int(channel))
        self._write_blocks(pairs)
        for address in pairs:
            board = self.addresses.index(address)
            if self._awake[address] and not any(c // reg.CHANNELS == board for c in self._enabled):
                mode1 = self._call("read_byte_data", address, reg.MODE1)
                self._call("write_byte_data", address, reg.MODE1, (mode1 & ~reg.RESTART & 0xFF) | reg.SLEEP)
                self._awake[address] = False

    def write_limits(self, channels: Sequence[int], lows: Sequence[int], highs: Sequence[int]) -> None:
        """Nothing to write: the chip has no limit registers."""
        return

    def close(self) -> None:
        if self._smbus is not None and isinstance(self._bus_arg, int):
            self._smbus.close()
        self._smbus = None
