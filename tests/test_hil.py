"""Hardware in the loop on the twin: `open_backend("emulated:<bus>")` runs the hardware code path
down to the bytes, and the device emulator's servos move the twin, which a camera and perception
watch. Checked from both ends: the bytes the device parsed, and the face the twin shows."""

from __future__ import annotations

import time

import numpy as np
import pytest

from facetwin.app.backends import open_backend
from facetwin.app.hil import EmulatedFace, open_emulated_face
from facetwin.command import validate_command
from facetwin.errors import BackendError, ConfigError
from facetwin.hardware.bus_kinds import BUS_KINDS
from facetwin.hardware.safety import SafetyConfig
from facetwin.hardware.serial_bus.servo_bus import SerialServoBus
from tests.guards import time_limit

KINDS = list(BUS_KINDS)
MAX_STEP = 0.25
"""A quarter of the travel per tick: any command is reached within 8 ticks."""


@pytest.fixture(autouse=True)
def _time_limit():
    """No test may hang on a device."""
    with time_limit(60):
        yield


def emulated(kind: str, camera: bool = False, max_step: float = MAX_STEP, watchdog: float | None = None,
             **options) -> EmulatedFace:
    return open_backend(f"emulated:{kind}", camera=camera, pacing=False,
                        safety=SafetyConfig(max_step=max_step, watchdog_timeout=watchdog), **options)


@pytest.fixture(scope="module")
def command(model):
    """A moderate expression on every actuator, neck included."""
    spec = model.spec
    rng = np.random.default_rng(5)
    return np.clip(spec.neutral_command + rng.uniform(-0.6, 0.6, spec.n_actuators), -1, 1).astype(np.float32)


@pytest.fixture(scope="module")
def plain_twin(model, command):
    """What a plain SimFace shows at neutral and, settled, under `command`."""
    from facetwin.sim.sim_face import SimFace

    with SimFace(model) as twin:
        neutral = twin.reset().landmarks
        for _ in range(40):
            settled = twin.step(command).landmarks
    return neutral, settled


def _device_log(face: EmulatedFace, count: int) -> dict[int, float]:
    """The last target each channel received, as the device parsed it (waiting for the pty)."""
    deadline = time.monotonic() + 5
    while len(face.emulator.target_log) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(face.emulator.target_log) >= count, "targets did not reach the device"
    return dict(face.emulator.target_log)


@pytest.mark.parametrize("kind", KINDS)
def test_commands_arrive_as_bytes_and_move_the_twin(kind, model, command, plain_twin, skin):
    neutral, settled = plain_twin
    with emulated(kind) as face:
        assert isinstance(face, EmulatedFace) and face.spec.digest == model.spec.digest
        observation = face.reset()
        np.testing.assert_allclose(observation.landmarks, neutral, atol=0.1)  # at rest at neutral, like SimFace.reset
        face.emulator.record_targets = True
        for _ in range(8):
            observation = face.step(command)
        np.testing.assert_allclose(observation.command, validate_command(face.spec, command), atol=2e-3)

        driver = face.hardware.driver
        received = _device_log(face, 8 * face.spec.n_actuators)
        wanted = np.clip(np.rint(driver.map.to_device(validate_command(face.spec, command))), driver.map.min,
                         driver.map.max)
        got = np.array([received[c] for c in driver.channels])
        if kind == "pca9685":  # the chip holds whole ticks of its PWM period: compare in microseconds
            np.testing.assert_allclose(got, wanted, atol=face.hardware.bus.period_us / 4096)
        else:
            np.testing.assert_array_equal(got, wanted)

        face.settle()  # the unpaced loop outran the servos, which move in real time
        observation = face.step(command)
        # The twin shows the skin exactly where the emulated horns are...
        horns = face.spec.command_to_position(face.twin_observation.actuator_positions)
        np.testing.assert_allclose(observation.landmarks, skin.landmarks(horns[None])[0], atol=1e-3)
        # The PCA9685 outputs whole ticks of 4.9 us: half a tick is 0.005 of a command's 1000 us span.
        np.testing.assert_allclose(face.twin_observation.actuator_positions, observation.command, atol=6e-3)
        # ...which is where a plain SimFace settles, up to its servos' deadband and backlash.
        error = np.linalg.norm(observation.landmarks - settled, axis=1)
        assert error.max() < 1.0 and error.mean() < 0.25, (error.max(), error.mean())


def test_the_twin_moves_at_the_emulated_servos_speed(model):
    """The emulator is the servo model: the twin follows its horns, not the command. Waiting for
    them is a hold, not silence: the watchdog (shorter than the wait) must not let go."""
    spec = model.spec
    jaw = spec.index("jaw_open")
    command = spec.neutral_command.copy()
    command[jaw] = 1.0
    with emulated("dynamixel", max_step=1.0, watchdog=0.15) as face:  # no slew limit: the command jumps
        face.reset()
        started = time.monotonic()
        first = face.step(command)
        assert first.command[jaw] == pytest.approx(1.0, abs=2e-3)
        assert face.twin_observation.actuator_positions[jaw] < 0.9  # the horn is still on its way
        face.settle()
        travelled = time.monotonic() - started
        assert all(face.emulator.enabled().values())  # the watchdog was fed while waiting
        assert face.step(command).actuator_positions[jaw] == pytest.approx(1.0, abs=2e-3)
    speed = face.emulator.servos[face.hardware.driver.channels[jaw]].speed
    ticks = abs(face.hardware.driver.map.end_plus[jaw] - face.hardware.driver.map.neutral[jaw])
    assert travelled >= 0.9 * ticks / speed


@pytest.mark.parametrize("kind", KINDS)
def test_outputs_are_disabled_when_the_loop_fails(kind, model):
    """Ctrl-C in the loop: every output the emulated device drives ends disabled, and the twin closes."""
    with pytest.raises(KeyboardInterrupt), emulated(kind) as face:
        face.reset()
        face.step(np.zeros(model.spec.n_actuators))
        emulator = face.emulator
        assert all(emulator.enabled()[c] for c in face.hardware.driver.channels)
        raise KeyboardInterrupt
    assert not any(emulator.enabled().values())
    bus = face.hardware.bus
    if isinstance(bus, SerialServoBus):
        assert all(table[bus.table.torque_enable] == 0 for table in emulator.tables.values())  # torque off
    with pytest.raises(BackendError, match="closed"):
        face.twin.step(model.spec.neutral_command)


def test_pacing_is_on_by_default(model):
    with open_backend("emulated:pca9685", camera=False, safety=SafetyConfig(watchdog_timeout=None)) as face:
        face.reset()
        started = time.monotonic()
        for _ in range(5):
            face.step(model.spec.neutral_command)
        assert time.monotonic() - started >= 4 * model.spec.control_period


def test_only_emulated_backends_have_a_twin_in_the_loop():
    with pytest.raises(ConfigError, match="needs an emulated:<bus> backend"):
        open_emulated_face("maestro:/dev/ttyACM0")
    with pytest.raises(ConfigError, match="emulated devices are"):
        open_backend("emulated:servo2040")


def test_a_loaded_face_model_is_opened_as_it_is():
    """A caller that has loaded the face passes its FaceModel, and the backend does not load it again."""
    from facetwin.sim.rig import load_face

    tissue = load_face("mira-tissue")
    with open_backend("sim", tissue) as twin:
        assert twin.model is tissue
    with emulated("maestro", face=tissue) as face:
        assert face.twin.model is tissue and face.spec.digest == tissue.spec.digest


def test_render_gives_the_twins_image_without_the_camera(model):
    with emulated("pca9685", render=True, width=96, height=64) as face:
        observation = face.reset()
        assert observation.image.shape == (64, 96, 3) and observation.image.std() > 5


# --- the camera and perception path --------------------------------------------------------------


def _movable(spec) -> np.ndarray:
    return np.setdiff1d(np.arange(spec.n_landmarks), spec.regions["static"])


def test_camera_and_perception_see_the_twin(model):
    """The twin's rendered image is the face's camera frame and MediaPipe reads the landmarks off
    it. Perception is not exact on the twin: it has millimetres of bias and noise, and it
    underestimates large expressions, so the bounds are what it achieves with margin. A frame of
    another pose, a mirrored image, a wrong alignment or a lost face fails them."""
    pytest.importorskip("mediapipe")
    spec = model.spec
    movable = _movable(spec)
    rng = np.random.default_rng(3)
    neck = [spec.index(n) for n in ("neck_yaw", "neck_pitch", "neck_roll")]
    jaw, chin, iris = spec.index("jaw_open"), list(spec.regions["jaw"]), list(spec.regions["eyes"])

    def settled(face, command):
        for _ in range(4):
            face.step(command)
        face.settle()
        observation = face.step(command)
        assert observation.landmarks is not None, "perception lost the face"
        return observation.landmarks, face.twin_observation.landmarks

    with emulated("feetech", camera=True) as face:
        observation = face.reset()
        assert observation.image is not None and observation.landmarks is not None
        np.testing.assert_array_equal(observation.image, face.render())  # the frame is the twin as it is now
        seen0, truth0 = observation.landmarks, face.twin_observation.landmarks
        neutral_error = np.linalg.norm(seen0 - truth0, axis=1)[movable].mean()
        errors, seen_motion, true_motion = [], [], []
        for _ in range(6):
            command = np.clip(spec.neutral_command + rng.uniform(0.0, 0.8, spec.n_actuators), -1, 1)
            command[neck] = spec.neutral_command[neck]
            seen, truth = settled(face, command)
            errors.append(np.linalg.norm(seen - truth, axis=1)[movable].mean())
            seen_motion.append((seen - seen0)[movable])
            true_motion.append((truth - truth0)[movable])
        seen_motion, true_motion = np.concatenate(seen_motion), np.concatenate(true_motion)
        cosine = np.sum(seen_motion * true_motion) / (np.linalg.norm(seen_motion) * np.linalg.norm(true_motion))

        command = spec.neutral_command.copy()
        command[jaw] = -0.3  # the mouth half open
        command[spec.index("eye_yaw")] = 1.0  # the eyes turned to one side
        seen, truth = settled(face, command)
    drop_seen, drop_true = (seen - seen0)[chin, 1].mean(), (truth - truth0)[chin, 1].mean()
    gaze_seen, gaze_true = (seen - seen0)[iris, 0].mean(), (truth - truth0)[iris, 0].mean()
    print(f"perception on the twin: neutral {neutral_error:.2f} mm, expressions {np.mean(errors):.2f} mm, "
          f"motion cosine {cosine:.2f}, chin {drop_seen:.1f}/{drop_true:.1f} mm, "
          f"irises {gaze_seen:.1f}/{gaze_true:.1f} mm")
    # In the image plane the rest face is read within a few millimetres; in depth the detector gives
    # the textured face a profile its mesh does not have (the rest fit moves x and y only; issue 14's
    # note), so the full 3-D error is bounded more loosely.
    neutral_xy = np.linalg.norm((seen0 - truth0)[:, :2], axis=1)[movable].mean()
    assert neutral_xy < 3.0 and neutral_error < 9.0
    assert np.mean(errors) < 10.0
    assert cosine > 0.5  # perceived motion points the way the skin moved
    assert drop_true < -5.0 and drop_seen < 0.25 * drop_true  # the chin seen dropping, by a fair part of it
    assert abs(gaze_true) > 3.0 and gaze_seen * gaze_true > 0 and abs(gaze_seen) > 0.4 * abs(gaze_true)
