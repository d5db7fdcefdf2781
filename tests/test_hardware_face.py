"""HardwareFace end to end against emulated devices: the safety gate, the watchdog, shutdown on
errors, the camera path, and a fuzz of malformed commands checked from the device's side."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

from facetwin.errors import BackendError, CommandError, ConfigError
from facetwin.hardware.backend_url import open_hardware_face, parse_backend
from facetwin.hardware.bus_kinds import BUS_KINDS
from facetwin.hardware.camera import Camera
from facetwin.hardware.safety import SafetyConfig
from facetwin.hardware.serial_bus.emulator import SerialEmulator
from tests.guards import time_limit

KINDS = list(BUS_KINDS)
SERIAL_KINDS = [name for name, kind in BUS_KINDS.items() if issubclass(kind.emulator, SerialEmulator)]
"""Kinds whose emulator logs the exact targets it parsed (the PCA9685 holds whole ticks)."""


@pytest.fixture(autouse=True)
def _time_limit():
    """No hardware test may hang. The bound is for hangs, not speed: the 100,000-command fuzz
    alone takes 15-40 s of a two-core machine, depending on what else runs on it."""
    with time_limit(120):
        yield



def fast_face(kind, spec, max_step=0.25, watchdog=None, **options):
    return open_hardware_face(f"emulated:{kind}", spec, pacing=False,
                              safety=SafetyConfig(max_step=max_step, watchdog_timeout=watchdog), **options)


def test_parse_backend_strings():
    assert parse_backend("maestro:/dev/ttyACM0").port == "/dev/ttyACM0"
    assert parse_backend("pca9685:1:0x40,0x41").i2c_addresses == (0x40, 0x41)
    assert parse_backend("dynamixel:/dev/ttyUSB0@1000000").baudrate == 1_000_000
    assert parse_backend("emulated:feetech").emulated
    for bad, message in [("servo:/dev/x", "unknown kind 'servo'"), ("emulated:pwm", "emulated devices are"),
                         ("pca9685:one:0x40", "expected pca9685:<bus number>"), ("maestro:", "missing the port")]:
        with pytest.raises(ConfigError, match=message):
            parse_backend(bad)


def test_real_backend_without_calibration_is_never_driven(tmp_path, monkeypatch, spec):
    monkeypatch.setenv("FACETWIN_CALIBRATION_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match=r"mira/maestro\.json: no calibration for robot 'mira'; make it with "
                                          r"`facetwin calibrate --backend maestro:/dev/ttyACM0 --robot-id mira`$"):
        open_hardware_face("maestro:/dev/ttyACM0", spec)


@pytest.mark.parametrize("kind", KINDS)
def test_step_reports_the_applied_command_and_read_back(kind, spec):
    with fast_face(kind, spec) as face:
        first = face.reset()
        np.testing.assert_allclose(first.command, spec.neutral_command, atol=1e-3)
        wanted = np.ones(spec.n_actuators, dtype=np.float32)
        observation = face.step(wanted)
        # One tick moves at most a quarter of the travel (half a command unit) from neutral.
        assert np.all(observation.command <= spec.neutral_command + 0.5 + 1e-3)
        assert np.all(observation.command > spec.neutral_command)
        for _ in range(8):
            observation = face.step(wanted)
        np.testing.assert_allclose(observation.command, wanted, atol=1e-3)
        assert observation.command.dtype == np.float32 and observation.landmarks is None
        if face.bus.can_read:  # positions come back from the device, moving at the servos' speed
            time.sleep(0.3)
            observation = face.step(wanted)
        np.testing.assert_allclose(observation.actuator_positions, wanted, atol=0.05)  # command units, as on the twin


def test_bad_commands_never_reach_the_device(spec):
    with fast_face("maestro", spec) as face:
        face.reset()
        face.emulator.record_targets = True
        for bad in [np.full(spec.n_actuators, np.nan), np.ones(3), "smile", np.full(spec.n_actuators, np.inf)]:
            with pytest.raises(CommandError):
                face.step(bad)
        time.sleep(0.05)
        assert face.emulator.target_log == []


def test_step_paces_to_the_control_rate(spec):
    with open_hardware_face("emulated:pca9685", spec, safety=SafetyConfig(watchdog_timeout=None)) as face:
        face.reset()
        started = time.monotonic()
        for _ in range(6):
            face.step(spec.neutral_command)
        assert time.monotonic() - started == pytest.approx(6 * spec.control_period, abs=0.05)


def test_watchdog_trips_are_counted(spec):
    with fast_face("maestro", spec, watchdog=0.1) as face:
        face.reset()
        deadline = time.monotonic() + 5
        while face.watchdog_trips == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert face.watchdog_trips == 1
        face.step(spec.neutral_command)  # commanding again re-arms the face; the count stays
        assert face.watchdog_trips == 1


@pytest.mark.parametrize("kind", KINDS)
def test_watchdog_ramps_to_neutral_then_disables(kind, spec):
    timeout, max_step = 0.2, 0.25
    with fast_face(kind, spec, max_step=max_step, watchdog=timeout) as face:
        face.reset()
        for _ in range(6):
            face.step(np.ones(spec.n_actuators))
        stopped = time.monotonic()
        ramp = (int(np.ceil(2 / (2 * max_step))) + 1) * spec.control_period  # ticks to cross the travel
        deadline = stopped + timeout + ramp + 0.1
        while any(face.emulator.enabled().values()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(face.emulator.enabled().values()), "outputs still enabled after the watchdog deadline"
        np.testing.assert_array_equal(face.driver.last, face.driver.neutral_targets)
        targets = face.emulator.pulses if kind == "maestro" else face.emulator.servos
        neutral = dict(zip(face.driver.channels, face.driver.neutral_targets))
        for channel, value in neutral.items():  # the last pulse before letting go was neutral
            assert targets[channel].target == pytest.approx(value, abs=5)
        face.step(spec.neutral_command)  # a new command re-arms the face
        deadline = time.monotonic() + 2
        while not all(face.emulator.enabled()[c] for c in face.driver.channels):
            assert time.monotonic() < deadline, "outputs not re-enabled by the next command"
            time.sleep(0.01)


@pytest.mark.parametrize("exit_with", [RuntimeError, KeyboardInterrupt])
def test_outputs_are_disabled_when_the_with_block_fails(exit_with, spec):
    with pytest.raises(exit_with), fast_face("dynamixel", spec) as face:
        face.reset()
        face.step(np.zeros(spec.n_actuators))
        emulator = face.emulator
        assert all(emulator.enabled().values())
        tables = emulator.tables
        raise exit_with()
    assert all(table[64] == 0 for table in tables.values())  # torque-enable byte cleared on every servo
    with pytest.raises(BackendError, match="closed"):
        face.step(np.zeros(spec.n_actuators))


def test_vanished_device_is_a_clear_error_and_close_still_releases(spec):
    face = fast_face("feetech", spec)
    face.reset()
    face.emulator.unplug()
    with pytest.raises(BackendError, match="feetech on"):
        for _ in range(3):
            face.step(np.zeros(spec.n_actuators))
    face.close()
    face.close()  # idempotent


class FakeCapture:
    def __init__(self, source):
        self.frames = 0

    def isOpened(self):
        return True

    def read(self):
        time.sleep(0.002)
        self.frames += 1
        image = np.zeros((4, 6, 3), dtype=np.uint8)
        image[..., 0] = 255  # blue in OpenCV's BGR
        return True, image

    def release(self):
        pass


def test_camera_frames_go_through_the_detector(spec):
    landmarks = np.zeros((spec.n_landmarks, 3), dtype=np.float32)
    detector = SimpleNamespace(detect=lambda image: SimpleNamespace(landmarks=landmarks, blendshapes={"smile": 0.5}))
    camera = Camera(0, capture_factory=FakeCapture)
    with fast_face("pca9685", spec, camera=camera, detector=detector) as face:
        face.reset()
        time.sleep(0.05)
        observation = face.step(spec.neutral_command)
        assert observation.image.shape == (4, 6, 3) and observation.image[0, 0].tolist() == [0, 0, 255]  # RGB
        assert observation.face_visible and observation.blendshapes == {"smile": 0.5}
    with fast_face("pca9685", spec, camera=Camera(0, capture_factory=FakeCapture), detector=lambda image: None) as face:
        face.reset()
        time.sleep(0.05)
        assert face.step(spec.neutral_command).landmarks is None


def _fuzz_commands(rng, n_actuators, count):
    """Mostly malformed commands (NaN, infinities, wrong shapes, non-numbers) mixed with valid
    ones, some huge but finite; about one in six reaches the device."""
    for _ in range(count):
        kind = rng.integers(0, 12)
        command = rng.uniform(-1.5, 1.5, n_actuators)
        if kind == 0:
            command *= 10.0 ** rng.integers(1, 300)  # huge but finite: clipped, then slew-limited
        elif kind in (1, 2, 3):
            command[rng.integers(n_actuators, size=kind)] = np.nan
        elif kind in (4, 5):
            command[rng.integers(n_actuators)] = np.inf if kind == 4 else -np.inf
        elif kind in (6, 7):
            command = rng.uniform(-1, 1, rng.choice([0, 1, n_actuators - 1, n_actuators + 1]))
        elif kind == 8:
            command = rng.uniform(-1, 1, (2, n_actuators))
        elif kind in (9, 10):
            command = [None, "x", object(), [[1, 2], [3]], {"neutral": "smile"}][rng.integers(5)]
        yield command


def _check_device_log(log, lows, highs, steps, neutral, tolerance=0):
    """From the emulator's side: every target in range, and no per-tick jump beyond the slew limit."""
    log = np.asarray(log, dtype=np.float64)
    for channel in lows:
        values = log[log[:, 0] == channel, 1]
        assert values.size, f"channel {channel} never received a target"
        assert values.min() >= lows[channel] - tolerance and values.max() <= highs[channel] + tolerance, channel
        jumps = np.abs(np.diff(np.concatenate([[neutral[channel]], values])))
        assert jumps.max() <= steps[channel] + tolerance, (channel, jumps.max(), steps[channel])


def test_fuzz_100k_commands_through_hardware_face_to_pca9685(spec):
    rng = np.random.default_rng(7)
    with fast_face("pca9685", spec, max_step=0.05) as face:
        face.reset()
        emulator, bus, driver = face.emulator, face.bus, face.driver
        emulator.record_targets = True
        applied = rejected = 0
        for command in _fuzz_commands(rng, spec.n_actuators, 100_000):
            try:
                face.step(command)
                applied += 1
            except (CommandError, KeyError):  # KeyError: a dict naming an actuator the face does not have
                rejected += 1
        assert applied + rejected == 100_000 and applied > 10_000 and rejected > 70_000
        assert len(emulator.target_log) == applied * spec.n_actuators
        # The device sees ticks: convert calibrated limits to ticks the way the chip counts them.
        channels = driver.channels
        lows = dict(zip(channels, (bus.counts(v) for v in driver.map.min)))
        highs = dict(zip(channels, (bus.counts(v) for v in driver.map.max)))
        steps = dict(zip(channels, (int(np.ceil(s * 4096 / bus.period_us)) for s in driver.step_limit)))
        neutral = dict(zip(channels, (bus.counts(v) for v in driver.neutral_targets)))
        log = [(c, round(p * 4096 / bus.period_us)) for c, p in emulator.target_log]
        _check_device_log(log, lows, highs, steps, neutral, tolerance=1)


@pytest.mark.parametrize("kind", SERIAL_KINDS)
def test_fuzz_serial_buses_exactly(kind, spec):
    rng = np.random.default_rng(11)
    with fast_face(kind, spec, max_step=0.05) as face:
        face.reset()
        emulator, driver = face.emulator, face.driver
        emulator.record_targets = True
        applied = 0
        for command in _fuzz_commands(rng, spec.n_actuators, 1500):
            try:
                face.step(command)
                applied += 1
            except (CommandError, KeyError):
                pass
        deadline = time.monotonic() + 5
        while len(emulator.target_log) < applied * spec.n_actuators and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(emulator.target_log) == applied * spec.n_actuators
        channels = driver.channels
        _check_device_log(emulator.target_log, dict(zip(channels, driver.map.min)),
                          dict(zip(channels, driver.map.max)), dict(zip(channels, driver.step_limit)),
                          dict(zip(channels, driver.neutral_targets)))
