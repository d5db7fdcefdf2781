"""Backend strings: how a user names a physical (or emulated) face on the command line.

    <kind>:<address>     a controller of a kind in `bus_kinds.BUS_KINDS`, e.g. maestro:/dev/ttyACM0,
                         pca9685:1:0x40,0x41, dynamixel:/dev/ttyUSB0@57600, feetech-scs:/dev/ttyUSB0
    emulated:<kind>      that controller's emulator on a pty (or fake I2C) with a default calibration;
                         `facetwin.app.backends.open_backend` also gives it the twin as its body

Either may end in ?<option>=<0|1>[&...], an option of that kind (`BusKind.options`), e.g.
maestro:/dev/ttyACM0?crc=1 or emulated:maestro?crc=1 (the Maestro's CRC mode).
"""

from __future__ import annotations

import dataclasses

from facetwin.errors import ConfigError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.bus_kinds import BUS_KINDS, BackendAddress
from facetwin.hardware.calibration import Calibration, default_calibration, load_robot_calibration
from facetwin.spec import FaceSpec


def parse_backend(text: str) -> BackendAddress:
    """Parse a backend string, or raise ConfigError naming what is wrong with it."""
    head, _, query = text.partition("?")
    kind, _, rest = head.partition(":")
    if kind == "emulated":
        if rest not in BUS_KINDS:
            raise ConfigError(f"backend {text!r}: emulated devices are {', '.join('emulated:' + k for k in BUS_KINDS)}")
        address = BackendAddress(kind=rest, emulated=True)
    elif kind not in BUS_KINDS:
        raise ConfigError(f"backend {text!r}: unknown kind {kind!r}; use one of {', '.join(BUS_KINDS)} "
                          f"or emulated:<kind>")
    elif not rest:
        raise ConfigError(f"backend {text!r}: missing the port or bus after {kind}:")
    else:
        address = BUS_KINDS[kind].parse(text, rest)
    return dataclasses.replace(address, **_options(text, query, address.kind)) if query else address


def _options(text: str, query: str, kind: str) -> dict[str, bool]:
    """The on/off options after "?" in `text`, each one the kind takes."""
    allowed = BUS_KINDS[kind].options
    options = {}
    for item in query.split("&"):
        name, equals, value = item.partition("=")
        if name not in allowed:
            takes = f"takes only {', '.join(allowed)}" if allowed else "takes no options"
            raise ConfigError(f"backend {text!r}: unknown option {name!r}; {kind} {takes}")
        if not equals or value not in ("0", "1"):
            raise ConfigError(f"backend {text!r}: option {name} must be {name}=0 or {name}=1")
        options[name] = value == "1"
    return options


def open_bus(backend: str, channels: list[int] | None, n_actuators: int) -> tuple[ServoBus, list]:
    """The (not yet opened) bus for `backend` and what must be stopped with it: the emulator,
    started, for `emulated:` backends. `channels` default to the kind's `default_channels`."""
    address = parse_backend(backend)
    kind = BUS_KINDS[address.kind]
    channels = channels or kind.default_channels(n_actuators)
    if not address.emulated:
        return kind.open_bus(address, channels), []
    emulator, address = kind.start_emulator(channels, address)
    try:
        return kind.open_bus(address, channels), [emulator]
    except BaseException:
        emulator.stop()
        raise


def open_hardware_face(backend: str, spec: FaceSpec, robot_id: str | None = None,
                       calibration: Calibration | None = None, **face_options):
    """A HardwareFace for `backend`. Real devices need a saved calibration, loaded for
    `robot_id` (default: the face's name) and this kind of device; `emulated:` ones load the
    emulator's own calibration of `robot_id` when one is named, else get a default calibration.
    The face owns the emulator (also reachable as `face.emulator`) and stops it on close."""
    from facetwin.hardware.hardware_face import HardwareFace

    address = parse_backend(backend)
    kind = BUS_KINDS[address.kind]
    if calibration is None and (robot_id is not None or not address.emulated):
        calibration = load_robot_calibration(backend, robot_id or spec.name, kind.bus, address.emulated, spec)
    robot_id = robot_id or spec.name
    channels = [a.channel for a in calibration.actuators] if calibration else None
    bus, owned = open_bus(backend, channels, spec.n_actuators)
    try:
        if calibration is None:
            calibration = default_calibration(spec, robot_id, bus.kind, bus.unit, bus.default_center,
                                              bus.default_half_span, kind.default_channels(spec.n_actuators))
        face = HardwareFace(spec, bus, calibration, owned=owned, **face_options)
    except BaseException:
        for emulator in owned:
            emulator.stop()
        raise
    face.emulator = owned[0] if owned else None
    return face
