"""PCA9685 PWM boards over I2C: the driver, the chip's registers and a register-level emulator."""

from facetwin.hardware.pca9685.bus import PCA9685Bus
from facetwin.hardware.pca9685.emulator import PCA9685Emulator

__all__ = ["PCA9685Bus", "PCA9685Emulator"]
