"""One episode decided at reset: its targets and its randomised face, drawn from one generator.

Everything random about an episode is drawn here, in a fixed order, from the generator of the env
(or of the batched env's row) that is being reset. A single env and row i of the batched env
seeded alike therefore plan the same episodes, which is what makes the batched env step N faces
exactly like N single envs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facetwin.envs.config import MimicConfig
from facetwin.envs.landmark_space import LandmarkSpace
from facetwin.envs.targets import HumanBank, reachable_schedule
from facetwin.sim.rig import FaceModel
from facetwin.sim.servo import ServoParams


@dataclass
class CameraView:
    """Arguments of `FaceCamera.set_view` for one episode."""

    offset_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    light_intensity: float = 3.0
    light_dir: tuple[float, float, float] = (0.25, 0.5, 1.0)


@dataclass
class EpisodePlan:
    """`human` episodes follow bank `frames` (T + 1,); the others replay `commands` (S, A), one
    segment per step in `segment` (T + 1,), on the reference twin. `servo`, `gains` and `noise`
    (T + 1, n_code; in code units) are the episode's randomisation, None when off."""

    human: bool
    commands: np.ndarray
    segment: np.ndarray
    frames: np.ndarray | None
    servo: ServoParams | None
    gains: np.ndarray | None
    noise: np.ndarray | None
    view: CameraView


class EpisodePlanner:
    """Draws `EpisodePlan`s for one face and one `MimicConfig`."""

    def __init__(self, model: FaceModel, space: LandmarkSpace, config: MimicConfig, human: HumanBank | None):
        self.config = config
        self.space = space
        self.human = human
        spec = model.spec
        self.neutral = spec.neutral_command
        # Actuators that move landmarks in the face frame (the neck only moves the head).
        neck = {j.actuator for j in model.neck_joints}
        self.expressive = np.array([i not in neck for i in range(spec.n_actuators)])
        self.nominal = ServoParams.from_config(model.config)
        self.n_steps = config.episode_steps + 1
        # Noise of sd s on every landmark coordinate is noise of sd s on every orthonormal basis
        # coordinate, which the code divides by its scale.
        self.noise_scale = (config.randomization.landmark_noise_mm / space.code_scale).astype(np.float32)

    @property
    def max_segments(self) -> int:
        return -(-self.n_steps // self.config.hold_steps[0])

    def plan(self, rng: np.random.Generator) -> EpisodePlan:
        c, r = self.config, self.config.randomization
        human = c.targets == "human" or (c.targets == "mix" and bool(rng.random() < c.human_fraction))
        if human:
            commands = self.neutral[None].copy()
            segment = np.zeros(self.n_steps, dtype=np.int32)
            frames = self.human.sample(rng, self.n_steps)
        else:
            commands, segment = reachable_schedule(rng, self.n_steps, self.neutral, self.expressive, c.hold_steps,
                                                   c.active_fraction)
            frames = None
        servo = None
        if r.servo:
            n = len(self.neutral)
            latency = self.nominal.latency + rng.uniform(0.0, r.servo_latency_ms / 1000.0, n)
            tau = self.nominal.tau * rng.uniform(1.0 - r.servo_lag, 1.0 + r.servo_lag, n)
            servo = ServoParams(latency=latency, tau=tau, max_speed=self.nominal.max_speed,
                                deadband=self.nominal.deadband, backlash=self.nominal.backlash)
        gains = None
        if r.skin_gain > 0.0:
            gains = rng.uniform(1.0 - r.skin_gain, 1.0 + r.skin_gain, self.space.n_skin).astype(np.float32)
        noise = None
        if r.landmark_noise_mm > 0.0:
            noise = rng.standard_normal((self.n_steps, self.space.n_code), dtype=np.float32) * self.noise_scale
        view = CameraView()
        if r.view:
            offset = rng.uniform(-r.camera_offset_mm, r.camera_offset_mm, 3)
            intensity = 3.0 * rng.uniform(1.0 - r.light, 1.0 + r.light)
            direction = np.asarray(view.light_dir) + rng.uniform(-r.light, r.light, 3)
            view = CameraView(tuple(offset), float(intensity), tuple(direction))
        return EpisodePlan(human, commands, segment, frames, servo, gains, noise, view)
