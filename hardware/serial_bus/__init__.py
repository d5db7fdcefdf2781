"""What the serial families share: the port, the pty an emulator speaks on, the emulator base, and
the request/status round trip and base class of the two serial-servo buses (Dynamixel, Feetech)."""

from facetwin.hardware.serial_bus.emulator import SerialEmulator
from facetwin.hardware.serial_bus.servo_bus import ControlTable, SerialServoBus
from facetwin.hardware.serial_bus.transport import SerialTransport

__all__ = ["ControlTable", "SerialEmulator", "SerialServoBus", "SerialTransport"]
