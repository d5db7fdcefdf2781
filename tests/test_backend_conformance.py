"""Every backend honours the FaceBackend contract, checked the same way on each, as dm_control
checks every task of its suite: the twin with either skin and hardware in the loop on each
emulated bus. A policy written against the contract may rely on exactly what is checked here:

- the spec is the face config's, readable before anything connects (a physical face's port
  is not opened until `reset`);
- `reset` brings the face to rest at neutral, `step` reports well-formed observations, and
  `close` is idempotent and final;
- a seeded run repeats: exactly on the twin; on a face in the loop, what the face can repeat
  (the commands applied, the targets the device received, where the horns come to rest);
- observations share no memory with each other or with the backend, so a caller may keep or
  mutate them;
- a bad command (NaN, infinity, wrong shape, wrong dtype) raises CommandError with a one-line
  message before anything moves: the device receives nothing and the face's state is as if the
  command had never been sent.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from facetwin.app.backends import SIM, open_backend
from facetwin.app.hil import EmulatedFace
from facetwin.backend import FaceBackend
from facetwin.errors import BackendError, CommandError
from facetwin.face_config import load_spec
from facetwin.hardware.backend_url import open_bus
from facetwin.hardware.bus_kinds import BUS_KINDS
from facetwin.hardware.calibration import default_calibration
from facetwin.hardware.safety import SafetyConfig
from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec
from tests.guards import time_limit

BACKENDS = [
    pytest.param(SIM, "fast", id="sim-fast"),
    pytest.param(SIM, "bullet", id="sim-bullet"),
    *(pytest.param(f"emulated:{kind}", "fast", id=f"emulated-{kind}") for kind in BUS_KINDS),
]
MAX_STEP = 0.25
"""A quarter of the travel per tick on the emulated faces, so short runs go somewhere."""
ABSENT_I2C_BUS = 97
"""An I2C bus number no test machine has."""
COMMAND_TOLERANCE = 6e-3
"""A command read back through device units: the PCA9685's whole ticks of 4.9 us are 0.005 of a
command's 1000 us span; integer ticks on the other buses are finer."""


@pytest.fixture(autouse=True)
def _time_limit():
    """No test may hang on a device."""
    with time_limit(60):
        yield


@pytest.fixture(scope="module")
def config_spec() -> FaceSpec:
    """The spec as the face config states it, with no backend involved."""
    return load_spec(None)


@pytest.fixture(scope="module")
def commands(config_spec) -> list[np.ndarray]:
    """A few moderate expressions on every actuator, neck included."""
    rng = np.random.default_rng(13)
    n = config_spec.n_actuators
    return [np.clip(config_spec.neutral_command + rng.uniform(-0.6, 0.6, n), -1, 1).astype(np.float32)
            for _ in range(3)]


def open_face(backend: str, skin: str, face=None, **options) -> FaceBackend:
    """The backend as a test drives it: emulated faces unpaced, without camera or watchdog.
    `face` is the face's name, or the twin's model already loaded (the session's, to save time)."""
    if backend == SIM:
        return open_backend(SIM, face, skin=skin, **options)
    return open_backend(backend, face, skin=skin, camera=False, pacing=False,
                        safety=SafetyConfig(max_step=MAX_STEP, watchdog_timeout=None), **options)


def rest(face: EmulatedFace) -> None:
    """Wait until every emulated horn is exactly on its target (`settle` allows half a device
    unit), so where the face is no longer depends on the wall clock."""
    face.settle()
    deadline = time.monotonic() + 2.0
    while face.emulator.servo_positions() != face.emulator.targets():
        assert time.monotonic() < deadline, "the emulated servos did not come to rest"
        time.sleep(0.002)


def arrays(observation: FaceObservation) -> dict[str, np.ndarray]:
    return {name: value for name, value in vars(observation).items() if isinstance(value, np.ndarray)}


def record(face: FaceBackend, observation: FaceObservation) -> dict[str, object]:
    """What a run must repeat, copied: every field on the twin; on a face in the loop the
    applied command, the device's targets and, once the horns are at rest, where they are and
    the face the twin shows there (read-backs taken mid-move depend on the wall clock)."""
    if not isinstance(face, EmulatedFace):
        return {name: np.copy(value) if isinstance(value, np.ndarray) else value
                for name, value in vars(observation).items()}
    rest(face)
    twin = face.sync_twin()
    return {"command": observation.command.copy(), "targets": face.emulator.targets(),
            "positions": twin.actuator_positions.copy(), "landmarks": twin.landmarks.copy(),
            "head_pose": twin.head_pose.copy()}


def assert_same_records(first: list[dict], second: list[dict]) -> None:
    assert len(first) == len(second)
    for step, (a, b) in enumerate(zip(first, second)):
        assert a.keys() == b.keys()
        for name in a:
            if isinstance(a[name], np.ndarray):
                np.testing.assert_array_equal(a[name], b[name], err_msg=f"step {step}: {name}")
            else:
                assert a[name] == b[name], f"step {step}: {name}"


def run(face: FaceBackend, commands: list[np.ndarray], seed: int = 3) -> list[dict]:
    observation = face.reset(seed=seed)
    records = [record(face, observation)]
    for command in commands:
        records.append(record(face, face.step(command)))
    return records


def check_observation(spec: FaceSpec, observation: FaceObservation) -> None:
    """Shapes, dtypes and finiteness of everything a backend without a camera reports."""
    n = spec.n_actuators
    expected = {"actuator_positions": ((n,), np.float32), "command": ((n,), np.float32),
                "landmarks": ((spec.n_landmarks, 3), np.float32), "head_pose": ((4, 4), np.float64)}
    for name, (shape, dtype) in expected.items():
        value = getattr(observation, name)
        assert isinstance(value, np.ndarray), name
        assert value.shape == shape and value.dtype == dtype, (name, value.shape, value.dtype)
        assert np.isfinite(value).all(), name
    assert np.all(np.abs(observation.command) <= 1.0)
    assert isinstance(observation.time, float) and np.isfinite(observation.time)


# --- the spec --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("backend", "skin"), BACKENDS)
def test_the_spec_is_the_face_configs_before_anything_connects(backend, skin, config_spec):
    with open_face(backend, skin) as face:
        assert face.spec == config_spec and face.spec.digest == config_spec.digest
        if isinstance(face, EmulatedFace):  # nothing has been driven yet
            assert not any(face.emulator.enabled().values())
            assert face.emulator.servo_positions() == face.emulator.targets()


@pytest.mark.parametrize("kind", BUS_KINDS)
def test_a_physical_face_has_its_spec_without_opening_its_port(kind, tmp_path, config_spec):
    """The port does not exist: opening the face, reading its spec and closing it never touch it;
    only `reset` connects, and fails with a one-line error."""
    backend = f"pca9685:{ABSENT_I2C_BUS}:0x40,0x41" if kind == "pca9685" else f"{kind}:{tmp_path / 'absent-port'}"
    n = config_spec.n_actuators
    bus, _ = open_bus(backend, None, n)  # not opened: it only says which device units to calibrate in
    calibration = default_calibration(config_spec, f"conformance-{kind}", bus.kind, bus.unit, bus.default_center,
                                      bus.default_half_span, BUS_KINDS[kind].default_channels(n))
    face = open_backend(backend, calibration=calibration)
    assert face.spec == config_spec and face.spec.digest == config_spec.digest
    with pytest.raises(BackendError) as info:
        face.reset()
    assert "\n" not in str(info.value)
    face.close()
    face.close()
    with pytest.raises(BackendError, match="closed"):
        face.step(config_spec.neutral_command)


# --- reset, step, close --------------------------------------------------------------------------


@pytest.mark.parametrize(("backend", "skin"), BACKENDS)
def test_reset_step_and_an_idempotent_close(backend, skin, model, commands):
    face = open_face(backend, skin, model)
    spec = face.spec
    tolerance = 1e-6 if backend == SIM else COMMAND_TOLERANCE
    first = face.reset(seed=0)
    check_observation(spec, first)
    np.testing.assert_allclose(first.command, spec.neutral_command, atol=tolerance)
    np.testing.assert_allclose(first.actuator_positions, spec.neutral_command, atol=tolerance)
    times = [first.time]
    for command in commands:
        observation = face.step(command)
        check_observation(spec, observation)
        if backend == SIM:  # the twin applies the command as given; hardware slew-limits it
            np.testing.assert_array_equal(observation.command, command)
        times.append(observation.time)
    if backend == SIM:
        assert times == pytest.approx([k * spec.control_period for k in range(len(times))], abs=1e-12)
    else:
        assert np.all(np.diff(times) > 0.0)
    face.close()
    face.close()
    for call in (lambda: face.step(spec.neutral_command), lambda: face.reset()):
        with pytest.raises(BackendError, match="closed"):
            call()


# --- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize(("backend", "skin"), BACKENDS)
def test_a_seeded_run_repeats(backend, skin, model, commands):
    """On the same face after a reset, and on a second face opened the same way."""
    with open_face(backend, skin, model) as face:
        first = run(face, commands)
        again = run(face, commands)
    with open_face(backend, skin, model) as other:
        fresh = run(other, commands)
    assert_same_records(first, again)
    assert_same_records(first, fresh)


# --- observations are the caller's ---------------------------------------------------------------


def _backend_arrays(obj, depth: int = 5, seen: set[int] | None = None) -> list[np.ndarray]:
    """Every ndarray reachable from `obj` through attributes, containers and dataclasses: the
    backend's state, as far as Python can see it."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth < 0:
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type) and type(obj).__module__.startswith("facetwin"):
        children = list(vars(obj).values())
    else:
        return []
    return [a for child in children for a in _backend_arrays(child, depth - 1, seen)]


def _mutate(observation: FaceObservation) -> None:
    for value in arrays(observation).values():
        value[...] = 0 if value.dtype == np.uint8 else 1e6


@pytest.mark.parametrize(("backend", "skin"), BACKENDS)
def test_observations_share_no_memory(backend, skin, model, commands):
    """Consecutive observations are distinct buffers, none of them the backend's, and mutating
    every array of one (image included) leaves the rest of the run as it would have been."""
    with open_face(backend, skin, model, render=True, width=48, height=48) as face:
        clean = run(face, commands)
        observations = [face.reset(seed=3)]
        touched = [record(face, observations[0])]
        for command in commands:
            observation = face.step(command)
            assert set(arrays(observation)) >= {"actuator_positions", "command", "landmarks", "image", "head_pose"}
            state = _backend_arrays(face)
            for name, value in arrays(observation).items():
                for previous, old in arrays(observations[-1]).items():
                    assert not np.shares_memory(value, old), (name, previous)
                for other, mine in arrays(observation).items():
                    assert other == name or not np.shares_memory(value, mine), (name, other)
                assert not any(np.shares_memory(value, kept) for kept in state), f"{name} is the backend's"
            touched.append(record(face, observation))
            _mutate(observations[-1])
            _mutate(observation)
            observations.append(observation)
    assert_same_records(clean, touched)


# --- bad commands --------------------------------------------------------------------------------


def _bad_commands(n: int) -> dict[str, object]:
    return {
        "nan": np.full(n, np.nan), "infinity": np.r_[np.zeros(n - 1), np.inf], "too short": np.zeros(n - 1),
        "too long": np.zeros(n + 1), "a batch": np.zeros((2, n)), "a scalar": 0.0, "a word": "smile",
        "numeric strings": np.full(n, "0.5"), "booleans": np.ones(n, dtype=bool),
        "complex numbers": np.full(n, 0.5 + 0.5j), "objects": [None] * n, "dates": np.ones(n, dtype="datetime64[s]"),
        "a NaN by name": {"jaw_open": np.nan}, "a string by name": {"jaw_open": "0.5"},
    }


@pytest.mark.parametrize(("backend", "skin"), BACKENDS)
def test_bad_commands_are_rejected_before_anything_moves(backend, skin, model, commands):
    with open_face(backend, skin, model) as face:
        clean = run(face, commands[:2])
        observation = face.reset(seed=3)
        rejected = [record(face, observation), record(face, face.step(commands[0]))]
        emulated = isinstance(face, EmulatedFace)
        if emulated:
            before = (face.emulator.targets(), face.emulator.servo_positions(), face.emulator.enabled(),
                      face.hardware.observe().actuator_positions)
            face.emulator.record_targets = True
        for what, bad in _bad_commands(face.spec.n_actuators).items():
            with pytest.raises(CommandError) as info:
                face.step(bad)
            assert "\n" not in str(info.value), what
        if emulated:
            time.sleep(0.05)  # bytes written to the pty would have been parsed by now
            assert face.emulator.target_log == []
            after = (face.emulator.targets(), face.emulator.servo_positions(), face.emulator.enabled(),
                     face.hardware.observe().actuator_positions)
            assert before[:3] == after[:3]
            np.testing.assert_array_equal(before[3], after[3])
        rejected.append(record(face, face.step(commands[1])))
    assert_same_records(clean, rejected)  # on the twin, time has not advanced either
