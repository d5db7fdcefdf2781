"""Pololu Maestro servo controllers: the driver, its serial commands and a byte-level emulator."""

from facetwin.hardware.maestro.bus import MaestroBus
from facetwin.hardware.maestro.emulator import MaestroEmulator

__all__ = ["MaestroBus", "MaestroEmulator"]
