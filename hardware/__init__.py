"""The physical face: servo buses, their device emulators, calibration, safety and HardwareFace.

Names are resolved lazily so that importing `facetwin.hardware` needs neither pyserial, smbus2
nor dynamixel-sdk; each is imported only when a device that needs it is opened.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "ServoBus": "bus",
    "MaestroBus": "maestro.bus",
    "PCA9685Bus": "pca9685.bus",
    "DynamixelBus": "dynamixel.bus",
    "FeetechBus": "feetech.bus",
    "FeetechScsBus": "feetech.bus",
    "MaestroEmulator": "maestro.emulator",
    "PCA9685Emulator": "pca9685.emulator",
    "DynamixelEmulator": "dynamixel.emulator",
    "FeetechEmulator": "feetech.emulator",
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
