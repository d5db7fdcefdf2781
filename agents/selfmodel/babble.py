"""Motor babbling: the face drives itself through random commands and records what it saw.

This is how EVA and Emo learned their self-models: no kinematic model, only (command, what the
face looked like) pairs. Commands are drawn from a mixture of three samplers, each on the face
actuators only (the neck moves the whole head, which face-frame landmarks cannot show, so it
stays neutral):

- uniform: every face actuator uniform over its full command range;
- poses: a named pose of the face (face.yaml `poses`, the neutral among them) plus Gaussian noise,
  which covers the expressions people actually make and the region near neutral;
- symmetric: uniform on one side, copied onto each actuator's mirror, as most expressions are.

A physical face needs two guards that a twin would not ask for, and babbling applies both:

- rejection of implausible combinations. Antagonists (pull actuators that share skin anchors and
  pull them in opposed directions, e.g. brow raiser against brow lowerer) may not both be past
  `co_contraction` of their travel: co-contraction stalls both servos against each other and
  tears silicone skin. And no skin anchor may carry more than `max_anchor_load`, the summed
  fraction of travel of every actuator pulling it (weighted by its anchor weight): glue points
  tear out under several full pulls at once. Both are derived from the face's anchors.
- a rate limit: between samples every command slews at most `max_rate` command units per second
  (the full range of 2 in a quarter second by default), so a new sample never slams the skin or
  makes every servo draw stall current from the supply at once.

Each sample is recorded at equilibrium: after the ramp the command is held until no actuator's
measured position moves more than `settle_tol` in a control period (at least `min_hold`, at most
`max_hold` periods), so the landmarks reflect the command and not the servos' lag.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pydantic import Field, model_validator

from facetwin.agents.metrics import face_actuators
from facetwin.backend import FaceBackend
from facetwin.config_model import ConfigModel
from facetwin.errors import BackendError, ConfigError
from facetwin.face_config import FaceConfig
from facetwin.spec import FaceSpec

MAX_UNSEEN = 20
"""Babbling stops with an error after this many samples in a row without landmarks."""
ANTAGONIST_COS = math.cos(math.radians(105.0))
"""Two pulls on shared anchors are antagonists when their directions are more than 105 degrees apart."""


class BabbleConfig(ConfigModel):
    """How to babble. `uniform`, `poses`, `symmetric` are the mixture weights of the samplers."""

    uniform: float = Field(0.4, ge=0.0)
    poses: float = Field(0.3, ge=0.0)
    symmetric: float = Field(0.3, ge=0.0)
    pose_sigma: float = Field(0.3, gt=0.0)
    max_rate: float = Field(8.0, gt=0.0)
    co_contraction: float = Field(0.5, gt=0.0)
    max_anchor_load: float = Field(2.0, gt=0.0)
    settle_tol: float = Field(0.004, gt=0.0)
    min_hold: int = Field(2, ge=1)
    max_hold: int = Field(40, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> BabbleConfig:
        if self.uniform + self.poses + self.symmetric <= 0:
            raise ValueError("the mixture weights uniform, poses and symmetric are all 0")
        if self.min_hold > self.max_hold:
            raise ValueError(f"min_hold {self.min_hold} exceeds max_hold {self.max_hold}")
        return self


def activation(spec: FaceSpec, commands: np.ndarray) -> np.ndarray:
    """How far each actuator is from its rest towards the end it is heading for, in [0, 1]."""
    position = spec.command_to_position(commands)
    neutral = np.array([a.neutral for a in spec.actuators])
    up, down = spec.high - neutral, neutral - spec.low
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(position >= neutral, (position - neutral) / up, (neutral - position) / down)
    return np.nan_to_num(np.clip(frac, 0.0, 1.0))


def _anchor_directions(actuator) -> dict[int, np.ndarray]:
    directions = (np.asarray(actuator.directions, dtype=np.float64) if actuator.directions is not None
                  else np.tile(np.asarray(actuator.direction, dtype=np.float64), (len(actuator.anchors), 1)))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return dict(zip(actuator.anchors, directions))


@dataclass(frozen=True)
class PlausibilityRules:
    """The rejection rules of one face, derived from its anchors (see the module docstring)."""

    spec: FaceSpec
    antagonists: tuple[tuple[int, int], ...]
    anchor_weights: np.ndarray = field(repr=False)
    co_contraction: float = 0.5
    max_anchor_load: float = 2.0

    @classmethod
    def from_config(cls, config: FaceConfig, co_contraction: float = 0.5,
                    max_anchor_load: float = 2.0) -> PlausibilityRules:
        actuators = config.actuators
        pulls = {i: _anchor_directions(a) for i, a in enumerate(actuators) if a.kind == "pull"}
        antagonists = []
        for i in pulls:
            for j in pulls:
                shared = sorted(set(pulls[i]) & set(pulls[j]))
                if j > i and shared and np.mean([pulls[i][k] @ pulls[j][k] for k in shared]) < ANTAGONIST_COS:
                    antagonists.append((i, j))
        anchors = sorted({k for a in actuators if a.target == "skin" for k in a.anchors})
        row = {k: r for r, k in enumerate(anchors)}
        weights = np.zeros((len(anchors), len(actuators)))
        for i, a in enumerate(actuators):
            if a.target != "skin":
                continue
            for k, w in zip(a.anchors, a.weights or [1.0] * len(a.anchors)):
                weights[row[k], i] = w
        return cls(config.to_spec(), tuple(antagonists), weights, co_contraction, max_anchor_load)

    def violations(self, commands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(co-contraction, anchor overload) flags per command of a batch (B, A)."""
        act = activation(self.spec, np.atleast_2d(commands))
        co = np.zeros(len(act), dtype=bool)
        for i, j in self.antagonists:
            co |= np.minimum(act[:, i], act[:, j]) > self.co_contraction
        overload = (act @ self.anchor_weights.T).max(axis=1, initial=0.0) > self.max_anchor_load
        return co, overload

    def accept(self, commands: np.ndarray) -> np.ndarray:
        co, overload = self.violations(commands)
        return ~(co | overload)


class CommandSampler:
    """Draws plausible babbling commands (B, A) from the configured mixture."""

    def __init__(self, config: FaceConfig, babble: BabbleConfig | None = None):
        self.babble = babble or BabbleConfig()
        self.spec = config.to_spec()
        self.rules = PlausibilityRules.from_config(config, self.babble.co_contraction, self.babble.max_anchor_load)
        self.face = face_actuators(self.spec)
        neutral = self.spec.neutral_command.astype(np.float64)
        self.neutral = neutral
        poses = []
        for values in config.poses.values():
            pose = neutral.copy()
            for name, value in values.items():
                pose[self.spec.index(name)] = value
            poses.append(pose)
        self.poses = np.stack(poses) if poses else neutral[None]
        self.mirror = self.spec.mirror_order
        weights = np.array([self.babble.uniform, self.babble.poses, self.babble.symmetric])
        self.mixture = weights / weights.sum()

    def _candidates(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        kind = rng.choice(3, size=n, p=self.mixture)
        out = np.repeat(self.neutral[None], n, axis=0)
        uniform = rng.uniform(-1.0, 1.0, (n, len(self.face)))
        noisy = self.poses[rng.integers(len(self.poses), size=n)][:, self.face]
        noisy = np.clip(noisy + rng.normal(0.0, self.babble.pose_sigma, noisy.shape), -1.0, 1.0)
        out[:, self.face] = np.where((kind == 1)[:, None], noisy, uniform)
        symmetric = kind == 2
        # One side's value wins: each pair copies from the actuator listed first.
        first = np.minimum(np.arange(len(self.mirror)), self.mirror)
        out[symmetric] = out[symmetric][:, first]
        return out, kind

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` accepted commands, float32; raises ConfigError if the rules reject nearly everything."""
        kept: list[np.ndarray] = []
        total, drawn = 0, 0
        while total < n:
            candidates, _ = self._candidates(rng, max(64, 2 * (n - total)))
            drawn += len(candidates)
            accepted = candidates[self.rules.accept(candidates)]
            kept.append(accepted)
            total += len(accepted)
            if drawn > 1000 * n + 10_000 and total < n:
                raise ConfigError(f"the babbling rules rejected {drawn - total} of {drawn} commands: loosen "
                                  f"co_contraction ({self.babble.co_contraction}) or max_anchor_load "
                                  f"({self.babble.max_anchor_load})")
        return np.concatenate(kept)[:n].astype(np.float32)


@dataclass
class BabbleRecord:
    """Samples recorded at equilibrium: `command` (N, A) as applied by the backend, `positions`
    (N, A) measured actuator positions in command units, `landmarks` (N, 478, 3) float32 mm face
    frame, `settled` (N,) whether the face came to rest within `max_hold`, `images` or None."""

    command: np.ndarray
    positions: np.ndarray
    landmarks: np.ndarray
    settled: np.ndarray
    images: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.command)


class Babbler:
    """Drives one backend through sampled commands with the rate limit, recording each at rest."""

    def __init__(self, backend: FaceBackend, config: FaceConfig, babble: BabbleConfig | None = None,
                 images: bool = False):
        if config.to_spec().digest != backend.spec.digest:
            raise ConfigError(f"face config {config.name!r} does not describe the backend's face "
                              f"{backend.spec.name!r} (spec digests differ)")
        self.backend = backend
        self.sampler = CommandSampler(config, babble)
        self.babble = self.sampler.babble
        self.images = images
        self.max_step = self.babble.max_rate * backend.spec.control_period
        self._current: np.ndarray | None = None
        self._positions: np.ndarray | None = None

    def _step(self, command: np.ndarray):
        observation = self.backend.step(command)
        self._current = np.asarray(observation.command, dtype=np.float32)
        return observation

    def _start(self) -> None:
        observation = self.backend.reset()
        self._current = np.asarray(observation.command, dtype=np.float32)
        self._positions = np.asarray(observation.actuator_positions, dtype=np.float32)

    def move_to(self, target: np.ndarray):
        """Slew to `target` within the rate limit, hold until settled; the last observation and
        whether it settled."""
        if self._current is None:
            self._start()
        while np.abs(target - self._current).max() > 1e-7:
            before = self._current
            self._step(self._current + np.clip(target - self._current, -self.max_step, self.max_step))
            if np.array_equal(self._current, before):
                break  # the face applies no closer command: a device's resolution, or its calibrated limits
        previous, settled = self._positions, False
        for held in range(1, self.babble.max_hold + 1):
            observation = self._step(target)
            positions = np.asarray(observation.actuator_positions, dtype=np.float32)
            moved = np.abs(positions - previous).max()
            previous = positions
            if held >= self.babble.min_hold and moved <= self.babble.settle_tol:
                settled = True
                break
        self._positions = previous
        return observation, settled

    def _image(self, observation) -> np.ndarray:
        if observation.image is not None:
            return observation.image
        render = getattr(self.backend, "render", None)
        if render is None:
            raise BackendError(f"{type(self.backend).__name__} returns no images; babble without images")
        return render()

    def run(self, n: int, rng: np.random.Generator,
            on_sample: Callable[[], None] | None = None) -> BabbleRecord:
        """Babble `n` samples (drawn with `rng`); a sample whose face was not seen is replaced by
        the next command drawn."""
        spec = self.backend.spec
        commands, positions, landmarks, settled, images = [], [], [], [], []
        pending: list[np.ndarray] = []
        unseen = 0
        while len(commands) < n:
            if not pending:
                pending = list(self.sampler.sample(rng, n - len(commands))[::-1])
            observation, at_rest = self.move_to(pending.pop())
            if observation.landmarks is None:
                unseen += 1
                if unseen >= MAX_UNSEEN:
                    raise BackendError(f"{spec.name}: the face was not seen in {unseen} samples in a row; "
                                       f"check the camera and the light")
                continue
            unseen = 0
            commands.append(observation.command)
            positions.append(observation.actuator_positions)
            landmarks.append(observation.landmarks)
            settled.append(at_rest)
            if self.images:
                images.append(self._image(observation))
            if on_sample is not None:
                on_sample()
        shape = (n, spec.n_actuators)
        return BabbleRecord(
            command=np.asarray(commands, dtype=np.float32).reshape(shape),
            positions=np.asarray(positions, dtype=np.float32).reshape(shape),
            landmarks=np.asarray(landmarks, dtype=np.float32).reshape(n, spec.n_landmarks, 3),
            settled=np.asarray(settled, dtype=bool),
            images=np.stack(images).astype(np.uint8) if self.images and images else None,
        )

    def neutral_landmarks(self) -> np.ndarray:
        """The face's landmarks at its neutral command, at rest: the origin of every displacement."""
        observation, _ = self.move_to(self.backend.spec.neutral_command.astype(np.float32))
        if observation.landmarks is None:
            raise BackendError(f"{self.backend.spec.name}: the face was not seen at its neutral command")
        return np.asarray(observation.landmarks, dtype=np.float32)
