"""Feetech STS/SMS and SCS servos: the drivers, their packets and a byte-level emulator of each series."""

from facetwin.hardware.feetech.bus import FeetechBus, FeetechScsBus
from facetwin.hardware.feetech.emulator import FeetechEmulator, FeetechScsEmulator

__all__ = ["FeetechBus", "FeetechEmulator", "FeetechScsBus", "FeetechScsEmulator"]
