"""PCA9685 boards at the register level, behind an object with smbus2's method names.

The register file behaves like the chip's: power-on values, auto-increment only when MODE1.AI
is set, PRE_SCALE writes ignored unless the oscillator sleeps, full-on/full-off bits, no
pulses while asleep, reserved registers ignored (read as 0) and skipped by auto-increment as
the datasheet says (past LED15_OFF_H and past PRE_SCALE the pointer rolls over to MODE1), the
reserved top bits of the LED high registers never set. Each channel drives a virtual servo
from the pulse width it decodes; the horn stops at the servo's travel (`travel_us`) whatever
the pulse, since a PWM chip has no idea of a servo's range.
I2C transfers are synchronous calls, so unlike the serial emulators no thread is needed:
servos advance with the wall clock whenever anyone looks.
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Sequence

from facetwin.hardware.pca9685 import protocol as reg
from facetwin.hardware.servo_model import VirtualServo


def _next_register(register: int) -> int:
    """Where auto-increment goes after `register`: past the last LED register or PRE_SCALE, back to MODE1."""
    return 0 if register in (reg.LAST_LED, reg.PRESCALE) else (register + 1) & 0xFF


class FakeSMBus:
    """Duck-types `smbus2.SMBus` for the transfers a PCA9685 driver uses."""

    def __init__(self, emulator: PCA9685Emulator) -> None:
        self._emulator = emulator

    def write_byte_data(self, i2c_addr: int, register: int, value: int, force: bool | None = None) -> None:
        self._emulator.transfer(i2c_addr, register, [value])

    def write_i2c_block_data(
        self, i2c_addr: int, register: int, data: Sequence[int], force: bool | None = None
    ) -> None:
        if len(data) > 32:
            raise ValueError("Data length cannot exceed 32 bytes")  # smbus2's own limit
        self._emulator.transfer(i2c_addr, register, list(data))

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._emulator.read(i2c_addr, register, 1)[0]


class PCA9685Emulator:
    """Boards at `addresses`; global channel = board index * 16 + channel. Faults: `nack_transfers`
    transfers fail with EREMOTEIO (what Linux i2c-dev reports for a missing ACK); after `unplug()`
    every transfer does."""

    def __init__(self, addresses: Sequence[int] = (reg.FIRST_ADDRESS,), servo_speed: float = 4000.0,
                 rest: float = 1500.0, record_targets: bool = False,
                 travel_us: tuple[float, float] = (500.0, 2500.0)) -> None:
        self.addresses = tuple(addresses)
        self.travel_us = travel_us
        self.registers = {a: self._power_on() for a in self.addresses}
        n = reg.CHANNELS * len(self.addresses)
        self.servos = {c: VirtualServo(rest, rest, servo_speed) for c in range(n)}
        self.record_targets = record_targets
        self.target_log: list[tuple[int, float]] = []
        self.nack_transfers = 0
        self.plugged = True
        self._lock = threading.RLock()
        self._since = dict.fromkeys(self.servos, time.monotonic())
        """When each servo was last advanced: only retargeted servos are touched on a transfer."""

    @staticmethod
    def _power_on() -> bytearray:
        registers = bytearray(256)
        registers[reg.MODE1] = reg.SLEEP | reg.ALLCALL
        registers[reg.MODE2] = reg.OUTDRV
        registers[reg.PRESCALE] = 0x1E
        for channel in range(reg.CHANNELS):
            registers[reg.led_register(channel) + 3] = reg.FULL
        return registers

    def smbus(self) -> FakeSMBus:
        return FakeSMBus(self)

    def unplug(self) -> None:
        self.plugged = False

    stop = unplug
    """Same interface as the serial emulators: a stopped device no longer answers."""

    def _check(self, address: int) -> bytearray:
        if not self.plugged or address not in self.registers:
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        if self.nack_transfers:
            self.nack_transfers -= 1
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        return self.registers[address]

    def period_us(self, address: int) -> float:
        return reg.period_us(self.registers[address][reg.PRESCALE])

    def transfer(self, address: int, register: int, data: list[int]) -> None:
        with self._lock:
            regs = self._check(address)
            auto = regs[reg.MODE1] & reg.AUTO_INCREMENT
            touched = set()
            target = register & 0xFF
            for value in data:
                if not reg.reserved(target):
                    self._write_register(regs, target, value & 0xFF)
                    touched.add(target)
                target = _next_register(target) if auto else target
            self._update_outputs(address, touched)

    def _write_register(self, regs: bytearray, register: int, value: int) -> None:
        if register == reg.PRESCALE:
            if regs[reg.MODE1] & reg.SLEEP:
                regs[reg.PRESCALE] = max(3, value)  # the chip clamps prescale to >= 3
            return
        if register == reg.MODE1:
            restart = value & reg.RESTART
            value = (value & ~reg.RESTART) | (regs[reg.MODE1] & reg.RESTART if not restart else 0)
            if value & reg.SLEEP and not regs[reg.MODE1] & reg.SLEEP:
                value |= reg.RESTART  # entering sleep with PWM running arms RESTART
        if register >= reg.LED0_ON_L and register % 2:
            value &= 0x1F  # bits 7..5 of the LEDn / ALL_LED high registers are reserved, read as 0
        if reg.ALL_LED_ON_L <= register <= reg.ALL_LED_ON_L + 3:
            for channel in range(reg.CHANNELS):
                regs[reg.led_register(channel) + register - reg.ALL_LED_ON_L] = value
            return
        regs[register] = value

    def _update_outputs(self, address: int, touched: set[int]) -> None:
        board = self.addresses.index(address)
        regs = self.registers[address]
        awake = not regs[reg.MODE1] & reg.SLEEP
        every = reg.MODE1 in touched or max(touched, default=0) >= reg.ALL_LED_ON_L
        if every:
            locals_ = range(reg.CHANNELS)
        else:
            locals_ = sorted({(r - reg.LED0_ON_L) // 4 for r in touched if reg.LED0_ON_L <= r < reg.ALL_LED_ON_L})
        now = time.monotonic()
        for local in locals_:
            pulse = self.pulse_us(address, local)
            channel = board * reg.CHANNELS + local
            servo = self.servos[channel]
            servo.advance(now - self._since[channel])  # move up to now under the old target, then retarget
            self._since[channel] = now
            servo.enabled = awake and pulse is not None
            if pulse is not None:
                if self.record_targets and not every:
                    self.target_log.append((channel, pulse))
                servo.target = min(max(pulse, self.travel_us[0]), self.travel_us[1])

    def pulse_us(self, address: int, channel: int) -> float | None:
        """The pulse width the channel outputs, None when fully off or fully on (no servo pulse)."""
        regs = self.registers[address]
        on_l, on_h, off_l, off_h = regs[reg.led_register(channel) : reg.led_register(channel) + 4]
        if off_h & reg.FULL or on_h & reg.FULL:
            return None
        ticks = ((off_h & 0x0F) << 8 | off_l) - ((on_h & 0x0F) << 8 | on_l)
        return (ticks % 4096) * self.period_us(address) / 4096

    def read(self, address: int, register: int, length: int) -> list[int]:
        with self._lock:
            regs = self._check(address)
            auto = regs[reg.MODE1] & reg.AUTO_INCREMENT
            values, target = [], register & 0xFF
            for _ in range(length):
                values.append(0 if reg.reserved(target) else regs[target])
                target = _next_register(target) if auto else target
            return values

    def _advance(self) -> None:
        now = time.monotonic()
        for channel, servo in self.servos.items():
            servo.advance(now - self._since[channel])
            self._since[channel] = now

    def servo_positions(self) -> dict[int, float]:
        """Where each virtual servo horn is now (microseconds of the pulse it would sit at)."""
        with self._lock:
            self._advance()
            return {c: s.position for c, s in self.servos.items()}

    def targets(self) -> dict[int, float]:
        with self._lock:
            return {c: s.target for c, s in self.servos.items()}

    def enabled(self) -> dict[int, bool]:
        with self._lock:
            return {c: s.enabled for c, s in self.servos.items()}
