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
from facetwin.hardware.bus_kinds import BUS_KINDS
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
