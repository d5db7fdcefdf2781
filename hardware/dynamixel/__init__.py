"""Dynamixel X-series servos: the driver, Protocol 2.0 packets and a byte-level emulator."""

from facetwin.hardware.dynamixel.bus import DynamixelBus
from facetwin.hardware.dynamixel.emulator import DynamixelEmulator

__all__ = ["DynamixelBus", "DynamixelEmulator"]
