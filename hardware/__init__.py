"""The physical face: one subpackage per bus family (driver, wire format and device emulator
together) over the shared `serial_bus`, the registry of bus kinds, calibration, safety and
HardwareFace.

Names are resolved lazily so that importing `facetwin.hardware` needs neither pyserial, smbus2
nor dynamixel-sdk; each is imported only when a device that needs it is opened.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "ServoBus": "bus",
    "SerialServoBus": "serial_bus",
    "MaestroBus": "maestro",
    "PCA9685Bus": "pca9685",
    "DynamixelBus": "dynamixel",
    "FeetechBus": "feetech",
    "FeetechScsBus": "feetech",
    "MaestroEmulator": "maestro",
    "PCA9685Emulator": "pca9685",
    "DynamixelEmulator": "dynamixel",
    "FeetechEmulator": "feetech",
    "FeetechScsEmulator": "feetech",
    "BUS_KINDS": "bus_kinds",
    "BusKind": "bus_kinds",
    "ActuatorCalibration": "calibration",
    "Calibration": "calibration",
    "CalibrationMap": "calibration",
    "default_calibration": "calibration",
    "load_calibration": "calibration",
    "save_calibration": "calibration",
    "calibration_path": "calibration",
    "CalibrationWalkthrough": "calibration_walkthrough",
    "SafetyConfig": "safety",
    "SafeDriver": "safety",
    "Watchdog": "watchdog",
    "Camera": "camera",
    "SelfPerception": "self_perception",
    "HardwareFace": "hardware_face",
    "parse_backend": "backend_url",
    "open_hardware_face": "backend_url",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
