"""The PCA9685's registers, shared by the driver and the emulator.

Each channel has four registers (ON low/high, OFF low/high) from LED0_ON_L on; the ALL_LED
registers write every channel at once. The prescaler divides the 25 MHz oscillator into 4096
ticks per PWM period.
"""

from __future__ import annotations

import math

MODE1 = 0x00
MODE2 = 0x01
LED0_ON_L = 0x06
LAST_LED = 0x45
"""LED15_OFF_H: from here to ALL_LED_ON_L the registers are reserved, as is 0xFF (test mode)."""
ALL_LED_ON_L = 0xFA
PRESCALE = 0xFE
RESTART = 0x80
AUTO_INCREMENT = 0x20
SLEEP = 0x10
ALLCALL = 0x01
OUTDRV = 0x04
FULL = 0x10
"""Bit 4 of LEDn_ON_H / LEDn_OFF_H: the channel is fully on / fully off."""
OSCILLATOR_HZ = 25_000_000
FIRST_ADDRESS = 0x40
"""A board's I2C address with no address jumper soldered; chained boards count on from it."""
CHANNELS = 16
BLOCK_CHANNELS = 8
"""An SMBus block carries at most 32 bytes: 8 channels of 4 registers."""


def prescale_for(frequency: float) -> int:
    return round(OSCILLATOR_HZ / (4096 * frequency)) - 1


def reserved(register: int) -> bool:
    """Whether the chip ignores writes to `register` (and reads it as 0)."""
    return LAST_LED < register < ALL_LED_ON_L or register == 0xFF


def led_register(channel: int) -> int:
    return LED0_ON_L + 4 * channel


def period_us(prescale: int) -> float:
    """The PWM period a prescale value gives, in microseconds."""
    return 1e6 * 4096 * (prescale + 1) / OSCILLATOR_HZ


def pulse_range_us(frequency: float) -> tuple[int, int]:
    """The pulses a channel can give at `frequency`, in whole microseconds: at least one count
    (0 is no pulse: the servo goes limp) and at most 4095 of the period's 4096 counts."""
    period = period_us(prescale_for(frequency))
    return math.ceil(period / 4096), math.floor(period * 4095 / 4096)
