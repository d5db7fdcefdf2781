"""The registry of bus kinds is the one list: every reader of it (backend strings, the backend
factory, the CLI's help, the docs) names every kind. And a hardware-only program stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from facetwin.app.backends import open_backend
from facetwin.app.cli import app
from facetwin.errors import ConfigError
from facetwin.hardware.backend_url import open_bus, parse_backend
from facetwin.hardware.bus_kinds import BUS_KINDS, BackendAddress
from facetwin.hardware.serial_bus.servo_bus import SerialServoBus

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "pybullet", "pyrender", "mediapipe")


@pytest.mark.parametrize("name", BUS_KINDS)
def test_every_kind_opens_its_emulated_bus(name):
    kind = BUS_KINDS[name]
    assert kind.name == name == kind.bus.kind
    assert parse_backend(f"emulated:{name}").kind == name
    bus, owned = open_bus(f"emulated:{name}", None, 3)
    try:
        assert type(bus) is kind.bus and [type(e) for e in owned] == [kind.emulator]
        bus.open()
        bus.close()
    finally:
        for emulator in owned:
            emulator.stop()


@pytest.mark.parametrize("name", BUS_KINDS)
def test_servo_ids_start_at_one_and_channels_at_zero(name):
    kind = BUS_KINDS[name]
    first = 1 if issubclass(kind.bus, SerialServoBus) else 0
    assert kind.default_channels(3) == [first, first + 1, first + 2]


def test_every_kind_is_named_where_kinds_are_listed():
    with pytest.raises(ConfigError) as unknown_backend:
        open_backend("warp-drive:/dev/x")
    with pytest.raises(ConfigError) as unknown_kind:
        parse_backend("warp-drive:/dev/x")
    with pytest.raises(ConfigError) as unknown_emulated:
        parse_backend("emulated:warp-drive")
    calibrate_help = CliRunner().invoke(app, ["calibrate", "--help"], env={"COLUMNS": "400"}).output
    mimic_help = CliRunner().invoke(app, ["mimic", "--help"], env={"COLUMNS": "400"}).output
    docs = (REPO / "docs" / "hardware.md").read_text()
    for name, kind in BUS_KINDS.items():
        assert kind.usage in str(unknown_backend.value)
        assert name in str(unknown_kind.value) and f"emulated:{name}" in str(unknown_emulated.value)
        assert kind.usage in calibrate_help and kind.description in calibrate_help
        assert f"{name}:" in mimic_help
        assert f"| `{name}:" in docs, f"docs/hardware.md has no row for {name}"


def test_a_hardware_only_program_loads_no_simulation_or_perception_stack():
    """Importing facetwin.hardware, and then every module in it, loads neither torch, the physics,
    the renderer nor MediaPipe: they are imported only when a face needs them."""
    script = (
        "import sys, pkgutil, importlib\n"
        f"heavy = set({HEAVY!r})\n"
        "import facetwin.hardware as hardware\n"
        "assert not heavy & set(sys.modules), sorted(heavy & set(sys.modules))\n"
        "for module in pkgutil.walk_packages(hardware.__path__, 'facetwin.hardware.'):\n"
        "    importlib.import_module(module.name)\n"
        "    assert not heavy & set(sys.modules), (module.name, sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("maestro:/dev/ttyACM0?crc=1", BackendAddress(kind="maestro", port="/dev/ttyACM0", crc=True)),
    ("maestro:/dev/ttyACM0@57600?crc=0", BackendAddress(kind="maestro", port="/dev/ttyACM0", baudrate=57600)),
    ("emulated:maestro?crc=1", BackendAddress(kind="maestro", emulated=True, crc=True)),
])
def test_the_maestros_crc_mode_is_chosen_in_the_backend_string(text, expected):
    assert parse_backend(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("pca9685:1?crc=1", "backend 'pca9685:1?crc=1': unknown option 'crc'; pca9685 takes no options"),
    ("emulated:feetech?crc=1", "backend 'emulated:feetech?crc=1': unknown option 'crc'; feetech takes no options"),
    ("maestro:/dev/x?speed=1", "backend 'maestro:/dev/x?speed=1': unknown option 'speed'; maestro takes only crc"),
    ("maestro:/dev/x?crc=yes", "backend 'maestro:/dev/x?crc=yes': option crc must be crc=0 or crc=1"),
    ("maestro:/dev/x?crc", "backend 'maestro:/dev/x?crc': option crc must be crc=0 or crc=1"),
])
def test_an_option_the_kind_does_not_take_is_named(text, message):
    with pytest.raises(ConfigError) as error:
        parse_backend(text)
    assert str(error.value) == message


def test_an_emulated_maestro_in_crc_mode_is_driven_with_crc_and_ignores_a_spoiled_command(model):
    from facetwin.hardware.backend_url import open_hardware_face
    from facetwin.hardware.maestro.protocol import crc7

    with open_hardware_face("emulated:maestro?crc=1", model.spec, pacing=False) as face:
        assert face.bus.crc and face.emulator.crc
        face.reset()
        face.step(model.spec.neutral_command)
        face.emulator.record_targets = True
        set_target = bytes.fromhex("84 00 70 2E")  # channel 0 to 6000
        face.bus._io.write(set_target + bytes((crc7(set_target) ^ 0x01,)))  # every chained board hears it
        assert face.bus.read_errors() == ["serial CRC error"] * len(face.bus.devices) == ["serial CRC error"] * 2
        assert face.emulator.target_log == []
