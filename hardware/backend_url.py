"""Backend strings: how a user names a physical (or emulated) face on the command line.

    maestro:/dev/ttyACM0            Pololu Maestro(s); beyond 24 channels, chained as devices 12, 13, ...
    pca9685:1:0x40[,0x41]           PCA9685 board(s) on I2C bus 1
    dynamixel:/dev/ttyUSB0[@57600]  Dynamixel X-series, ids from the calibration
    feetech:/dev/ttyUSB0[@1000000]  Feetech STS/SMS (little-endian registers), ids from the calibration
    feetech-scs:/dev/ttyUSB0[@1000000]  Feetech SCS (big-endian registers), ids from the calibration
    emulated:maestro                the device emulator on a pty (or fake I2C) with a default calibration;
                                    `facetwin.app.backends.open_backend` also gives it the twin as its body
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from facetwin.errors import ConfigError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.calibration import Calibration, calibration_path, default_calibration, load_calibration
from facetwin.spec import FaceSpec

KINDS = ("maestro", "pca9685", "dynamixel", "feetech", "feetech-scs")
SERIAL_SERVOS = ("dynamixel", "feetech", "feetech-scs")
"""Buses addressed by servo id rather than by channel."""
MAESTRO_FIRST_DEVICE = 12
"""The Maestro's factory device number."""


@dataclass(frozen=True)
class BackendAddress:
    kind: str
    port: str | None = None
    baudrate: int | None = None
    i2c_bus: int | None = None
    i2c_addresses: tuple[int, ...] = ()
    emulated: bool = False


def parse_backend(text: str) -> BackendAddress:
    """Parse a backend string, or raise ConfigError naming what is wrong with it."""
    kind, _, rest = text.partition(":")
    if kind == "emulated":
        if rest not in KINDS:
            raise ConfigError(f"backend {text!r}: emulated devices are {', '.join('emulated:' + k for k in KINDS)}")
        return BackendAddress(kind=rest, emulated=True)
    if kind not in KINDS:
        raise ConfigError(f"backend {text!r}: unknown kind {kind!r}; use one of {', '.join(KINDS)} or emulated:<kind>")
    if not rest:
        raise ConfigError(f"backend {text!r}: missing the port or bus after {kind}:")
    if kind == "pca9685":
        bus, _, addresses = rest.partition(":")
        try:
            return BackendAddress(kind=kind, i2c_bus=int(bus),
                                  i2c_addresses=tuple(int(a, 0) for a in (addresses or "0x40").split(",")))
        except ValueError:
            raise ConfigError(f"backend {text!r}: expected pca9685:<bus number>:<address>[,<address>...]") from None
    port, _, baud = rest.partition("@")
    try:
        baudrate = int(baud) if baud else None
    except ValueError:
        raise ConfigError(f"backend {text!r}: baud rate {baud!r} is not a number") from None
    return BackendAddress(kind=kind, port=port, baudrate=baudrate)


def make_bus(address: BackendAddress, channels: list[int], port: str | None = None, smbus=None) -> ServoBus:
    """The bus for `address`, sized for the calibrated `channels` (ids for serial servos)."""
    from facetwin.hardware.dynamixel.bus import DynamixelBus
    from facetwin.hardware.feetech.bus import FeetechBus, FeetechScsBus
    from facetwin.hardware.maestro.bus import MaestroBus
    from facetwin.hardware.pca9685.bus import PCA9685Bus

    port = port or address.port
    extra = {"baudrate": address.baudrate} if address.baudrate else {}
    if address.kind == "maestro":
        n_devices = max(1, math.ceil((max(channels) + 1) / 24))
        return MaestroBus(port, devices=tuple(range(MAESTRO_FIRST_DEVICE, MAESTRO_FIRST_DEVICE + n_devices)), **extra)
    if address.kind == "pca9685":
        bus = PCA9685Bus(smbus if smbus is not None else address.i2c_bus, addresses=address.i2c_addresses)
        if max(channels) >= bus.n_channels:
            raise ConfigError(f"the calibration uses channel {max(channels)} but {bus.address} has {bus.n_channels}")
        return bus
    if address.kind == "dynamixel":
        return DynamixelBus(port, ids=channels, **extra)
    if address.kind == "feetech-scs":
        return FeetechScsBus(port, ids=channels, **extra)
    return FeetechBus(port, ids=channels, **extra)


def _emulator(kind: str, channels: list[int]):
    """The emulator for `kind`, started, with every channel the bus will address, and how to reach it."""
    n = max(channels) + 1
    if kind == "maestro":
        from facetwin.hardware.maestro.emulator import MaestroEmulator

        devices = tuple(range(MAESTRO_FIRST_DEVICE, MAESTRO_FIRST_DEVICE + max(1, math.ceil(n / 24))))
        emulator = MaestroEmulator(devices=devices).start()
        return emulator, {"port": emulator.port}
    if kind == "pca9685":
        from facetwin.hardware.pca9685.emulator import PCA9685Emulator

        addresses = tuple(0x40 + i for i in range(max(1, math.ceil(n / 16))))
        emulator = PCA9685Emulator(addresses=addresses)
        return emulator, {"smbus": emulator.smbus(), "i2c_addresses": addresses}
    if kind == "dynamixel":
        from facetwin.hardware.dynamixel.emulator import DynamixelEmulator

        emulator = DynamixelEmulator(ids=channels).start()
    else:
        from facetwin.hardware.feetech import protocol as ft
        from facetwin.hardware.feetech.emulator import FeetechEmulator

        emulator = FeetechEmulator(ids=channels, series=ft.SCS if kind == "feetech-scs" else ft.STS).start()
    return emulator, {"port": emulator.port}


def default_channels(kind: str, n: int) -> list[int]:
    """Channels 0..n-1 on PWM controllers; ids 1..n on serial servos (id 0 is often reserved)."""
    return list(range(1, n + 1)) if kind in SERIAL_SERVOS else list(range(n))


def open_bus(backend: str, channels: list[int] | None, n_actuators: int) -> tuple[ServoBus, list]:
    """The (not yet opened) bus for `backend` and what must be stopped with it: the emulator,
    started, for `emulated:` backends. `channels` default to `default_channels`."""
    address = parse_backend(backend)
    channels = channels or default_channels(address.kind, n_actuators)
    if not address.emulated:
        return make_bus(address, channels), []
    emulator, where = _emulator(address.kind, channels)
    try:
        if "i2c_addresses" in where:
            address = replace(address, i2c_addresses=where["i2c_addresses"])
        return make_bus(address, channels, where.get("port"), where.get("smbus")), [emulator]
    except BaseException:
        emulator.stop()
        raise


def open_hardware_face(backend: str, spec: FaceSpec, robot_id: str | None = None,
                       calibration: Calibration | None = None, **face_options):
    """A HardwareFace for `backend`. Real devices need a saved calibration (loaded for
    `robot_id`, default "<face>-<kind>"); `emulated:` ones get a default calibration unless given one.
    The face owns the emulator (also reachable as `face.emulator`) and stops it on close."""
    from facetwin.hardware.hardware_face import HardwareFace

    address = parse_backend(backend)
    robot_id = robot_id or f"{spec.name}-{address.kind}"
    if calibration is None and not address.emulated:
        calibration = load_calibration(calibration_path(robot_id), spec)
    channels = [a.channel for a in calibration.actuators] if calibration else None
    bus, owned = open_bus(backend, channels, spec.n_actuators)
    try:
        if calibration is None:
            calibration = default_calibration(spec, robot_id, bus.kind, bus.unit, bus.default_center,
                                              bus.default_half_span, default_channels(bus.kind, spec.n_actuators))
        face = HardwareFace(spec, bus, calibration, owned=owned, **face_options)
    except BaseException:
        for emulator in owned:
            emulator.stop()
        raise
    face.emulator = owned[0] if owned else None
    return face
