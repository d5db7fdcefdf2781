"""Every kind of servo controller facetwin drives, in one place: how its backend string parses,
the bus that drives it, the emulator that stands in for it, the channels or ids a face uses on
it by default, and what it is.

Backend strings (`backend_url`), the backend factory (`facetwin.app.backends`), the CLI's help
and the tests all read `BUS_KINDS`, so a new controller is its family's subpackage plus one
entry here.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from facetwin.errors import ConfigError
from facetwin.hardware.bus import ServoBus
from facetwin.hardware.dynamixel.bus import DynamixelBus
from facetwin.hardware.dynamixel.emulator import DynamixelEmulator
from facetwin.hardware.feetech.bus import FeetechBus, FeetechScsBus
from facetwin.hardware.feetech.emulator import FeetechEmulator, FeetechScsEmulator
from facetwin.hardware.maestro import protocol as maestro
from facetwin.hardware.maestro.bus import MaestroBus
from facetwin.hardware.maestro.emulator import MaestroEmulator
from facetwin.hardware.pca9685 import protocol as pca9685
from facetwin.hardware.pca9685.bus import PCA9685Bus
from facetwin.hardware.pca9685.emulator import PCA9685Emulator
from facetwin.hardware.serial_bus.emulator import SerialEmulator

Emulator = SerialEmulator | PCA9685Emulator


@dataclass(frozen=True)
class BackendAddress:
    """Where a controller is and how it speaks. `i2c_bus` is an I2C bus number, or an object with
    smbus2's methods (an emulator's); `baudrate` None means the bus's factory setting; `crc`: every
    command carries a CRC the device checks (a Maestro with "Enable CRC" ticked)."""

    kind: str
    port: str | None = None
    baudrate: int | None = None
    i2c_bus: int | object | None = None
    i2c_addresses: tuple[int, ...] = ()
    emulated: bool = False
    crc: bool = False


@dataclass(frozen=True)
class BusKind(ABC):
    """One kind of controller: `bus` drives it, `emulator` stands in for it on a pty (or a fake
    SMBus), `description` says what it is in a few words."""

    bus: type[ServoBus]
    emulator: type[Emulator]
    description: str

    @property
    def name(self) -> str:
        """The kind as backend strings and calibrations spell it: the bus's own `kind`."""
        return self.bus.kind

    syntax: ClassVar[str]
    """What follows "<name>:" in a backend string."""
    options: ClassVar[tuple[str, ...]] = ()
    """The on/off `BackendAddress` fields a backend string may set after "?", e.g. ?crc=1."""

    @property
    def usage(self) -> str:
        return f"{self.name}:{self.syntax}"

    def default_channels(self, n: int) -> list[int]:
        """The channels a face of `n` actuators uses without a calibration: 0..n-1."""
        return list(range(n))

    @abstractmethod
    def parse(self, text: str, rest: str) -> BackendAddress:
        """The address `rest` (what follows "<name>:" in `text`) names; ConfigError quoting `text`."""

    @abstractmethod
    def open_bus(self, address: BackendAddress, channels: list[int]) -> ServoBus:
        """The (not yet opened) bus at `address`, sized for `channels`."""

    @abstractmethod
    def start_emulator(self, channels: list[int], address: BackendAddress) -> tuple[Emulator, BackendAddress]:
        """The emulator, started, with every channel in `channels` and the options of the
        emulated `address`, and the address of the emulator itself."""


class _SerialPortKind(BusKind):
    """A controller on a serial port, at the bus's factory baud rate unless the string gives one."""

    syntax = "PORT[@BAUD]"

    def parse(self, text: str, rest: str) -> BackendAddress:
        port, _, baud = rest.partition("@")
        try:
            baudrate = int(baud) if baud else None
        except ValueError:
            raise ConfigError(f"backend {text!r}: baud rate {baud!r} is not a number") from None
        return BackendAddress(kind=self.name, port=port, baudrate=baudrate)

    @staticmethod
    def _baudrate(address: BackendAddress) -> dict[str, int]:
        return {"baudrate": address.baudrate} if address.baudrate else {}


class MaestroKind(_SerialPortKind):
    """Beyond 24 channels, Maestros are chained on one line as devices 12, 13, ...; ?crc=1
    seals every command with its CRC-7 byte, for a Maestro whose "Enable CRC" is ticked."""

    syntax = "PORT[@BAUD][?crc=1]"
    options = ("crc",)

    @staticmethod
    def _devices(channels: list[int]) -> tuple[int, ...]:
        n_devices = max(1, math.ceil((max(channels) + 1) / maestro.CHANNELS))
        return tuple(range(maestro.FACTORY_DEVICE, maestro.FACTORY_DEVICE + n_devices))

    def open_bus(self, address: BackendAddress, channels: list[int]) -> ServoBus:
        return self.bus(address.port, devices=self._devices(channels), crc=address.crc, **self._baudrate(address))

    def start_emulator(self, channels: list[int], address: BackendAddress) -> tuple[Emulator, BackendAddress]:
        emulator = self.emulator(devices=self._devices(channels), crc=address.crc).start()
        return emulator, BackendAddress(kind=self.name, port=emulator.port, emulated=True, crc=address.crc)


class ServoIdKind(_SerialPortKind):
    """Serial bus servos, addressed by id: 1..n by default (id 0 is often reserved)."""

    def default_channels(self, n: int) -> list[int]:
        return list(range(1, n + 1))

    def open_bus(self, address: BackendAddress, channels: list[int]) -> ServoBus:
        return self.bus(address.port, ids=channels, **self._baudrate(address))

    def start_emulator(self, channels: list[int], address: BackendAddress) -> tuple[Emulator, BackendAddress]:
        emulator = self.emulator(ids=channels).start()
        return emulator, BackendAddress(kind=self.name, port=emulator.port, emulated=True)


class PCA9685Kind(BusKind):
    """Boards on one I2C bus, 16 channels each, at 0x40 unless the string names the addresses."""

    syntax = "BUS[:ADDRESS[,ADDRESS...]]"

    def parse(self, text: str, rest: str) -> BackendAddress:
        bus, _, addresses = rest.partition(":")
        try:
            i2c_bus = int(bus)
            i2c_addresses = tuple(int(a, 0) for a in addresses.split(",")) if addresses else (pca9685.FIRST_ADDRESS,)
        except ValueError:
            raise ConfigError(f"backend {text!r}: expected pca9685:<bus number>:<address>[,<address>...]") from None
        return BackendAddress(kind=self.name, i2c_bus=i2c_bus, i2c_addresses=i2c_addresses)

    def open_bus(self, address: BackendAddress, channels: list[int]) -> ServoBus:
        bus = self.bus(address.i2c_bus, addresses=address.i2c_addresses)
        if max(channels) >= bus.n_channels:
            raise ConfigError(f"the calibration uses channel {max(channels)} but {bus.address} has {bus.n_channels}")
        return bus

    def start_emulator(self, channels: list[int], address: BackendAddress) -> tuple[Emulator, BackendAddress]:
        n_boards = max(1, math.ceil((max(channels) + 1) / pca9685.CHANNELS))
        addresses = tuple(range(pca9685.FIRST_ADDRESS, pca9685.FIRST_ADDRESS + n_boards))
        emulator = self.emulator(addresses=addresses)
        return emulator, BackendAddress(kind=self.name, i2c_bus=emulator.smbus(), i2c_addresses=addresses,
                                        emulated=True)


BUS_KINDS: dict[str, BusKind] = {kind.name: kind for kind in (
    MaestroKind(MaestroBus, MaestroEmulator, "Pololu Maestro"),
    PCA9685Kind(PCA9685Bus, PCA9685Emulator, "PCA9685 PWM boards on I2C"),
    ServoIdKind(DynamixelBus, DynamixelEmulator, "Dynamixel X-series, Protocol 2.0"),
    ServoIdKind(FeetechBus, FeetechEmulator, "Feetech STS/SMS"),
    ServoIdKind(FeetechScsBus, FeetechScsEmulator, "Feetech SCS"),
)}
"""Every bus kind by name, in the order help texts list them."""


def hardware_backends(described: bool = False) -> str:
    """The hardware backend strings, for help texts and error messages; with `described`, each
    followed by what it is."""
    return ", ".join(f"{kind.usage} ({kind.description})" if described else kind.usage
                     for kind in BUS_KINDS.values())
