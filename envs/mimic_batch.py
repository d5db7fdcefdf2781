"""N mimic episodes on the twin, stepped as one batch: the task behind every mimic env on the twin.

Rows [0, N) of the twin's batched dynamics (`facetwin.sim.twin_batch.TwinBatch`) are the faces
the policy drives, rows [N, 2N) the reference faces that replay the reachable targets' commands one
step ahead, so that before each step the reference face shows the target the step should reach.
Each face's state in the `LandmarkSpace` (`[skin features * gains, eye terms, 1]`, the skin gains
being the episode's randomisation) is kept current after every change; landmarks, codes and
errors are products of it. The single env is N = 1; the batched env is the same code for N faces,
which is why it steps exactly like N single envs.

Observation (float32, `2 K + 2 A` values, K = `LandmarkSpace.n_code`, A = actuators):
  [0, K)          the target expression's code
  [K, 2K)         the face's current code (with the episode's landmark noise, if any)
  [2K, 2K + A)    actuator (horn) positions in command units
  [2K + A, 2K+2A) the previous action (the command held at reset before the first step)
Codes are whitened (about unit spread over random commands, a few units at the extremes) and
clipped to +-CODE_LIMIT; the other values lie in [-1, 1].
Reward: -(mean distance of the movable landmarks to the target, mm) / inter-ocular distance
        - action_rate_cost * mean((action - previous action)^2)
"""

from __future__ import annotations

import numpy as np

from facetwin.envs.episodes import CameraView, EpisodePlan, EpisodePlanner
from facetwin.envs.landmark_space import LandmarkSpace, product
from facetwin.envs.targets import HumanBank
from facetwin.sim.rig import FaceModel
from facetwin.sim.servo import ServoParams
from facetwin.sim.twin_batch import TwinBatch

CODE_LIMIT = 20.0


def observation_bounds(n_code: int, n_actuators: int) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the observation vector."""
    high = np.concatenate([np.full(2 * n_code, CODE_LIMIT), np.ones(2 * n_actuators)]).astype(np.float32)
    return -high, high


class MimicBatch:
    """The state of N episodes; `start` begins episodes on chosen rows, `step` advances all rows."""

    def __init__(self, model: FaceModel, space: LandmarkSpace, planner: EpisodePlanner, n: int):
        config = planner.config
        spec = model.spec
        self.model, self.space, self.planner, self.n = model, space, planner, n
        self.human_bank: HumanBank | None = planner.human
        latency = planner.nominal.latency.max() + config.randomization.servo_latency_ms / 1000.0
        self.twin = TwinBatch(model, 2 * n, max_latency=latency)
        self.gains = np.ones((2 * n, space.n_skin), dtype=np.float32)
        self.state = space.state(self.twin.load, self.gains)
        a, k = spec.n_actuators, space.n_code
        self.n_actuators, self.n_code = a, k
        self.obs_size = 2 * k + 2 * a
        self.episode_steps = config.episode_steps
        self.action_rate_cost = config.action_rate_cost
        self.neutral = spec.neutral_command
        steps = config.episode_steps + 1
        self.t = np.zeros(n, dtype=np.int64)
        self.human = np.zeros(n, dtype=bool)
        self.commands = np.zeros((n, planner.max_segments, a), dtype=np.float32)
        self.segment = np.zeros((n, steps), dtype=np.int32)
        self.frames = np.zeros((n, steps), dtype=np.int64)
        self.noise = np.zeros((n, steps, k), dtype=np.float32) if config.randomization.landmark_noise_mm > 0 else None
        self.views = [CameraView() for _ in range(n)]
        self.prev_action = np.tile(self.neutral, (n, 1))
        self.obs = np.zeros((n, self.obs_size), dtype=np.float32)
        self.obs_low, self.obs_high = observation_bounds(k, a)
        self._rows = np.arange(n)
        self._any_human = False
        self._batch_commands = np.zeros((2 * n, a), dtype=np.float32)
        self._target_state = np.zeros((n, space.n_state), dtype=np.float32)
        self._neutral_state = np.zeros(space.n_state, dtype=np.float32)
        self._neutral_state[-1] = 1.0
        # Per-region means and, in the last column, the mean over every movable landmark.
        overall = np.full((space.n_movable, 1), 1.0 / space.n_movable, dtype=np.float32)
        self._summary_weights = np.ascontiguousarray(np.concatenate([space.region_weights, overall], axis=1))

    # -- episodes ------------------------------------------------------------------------------

    def start(self, rows: np.ndarray, plans: list[EpisodePlan]) -> np.ndarray:
        """Begin the planned episodes on `rows`; their observations land in `self.obs[rows]`.
        Returns those rows' error summary before any step (see `_errors`)."""
        rows = np.asarray(rows, dtype=np.int64)
        for row, plan in zip(rows, plans):
            self.commands[row, : len(plan.commands)] = plan.commands
            self.segment[row] = plan.segment
            self.human[row] = plan.human
            self.frames[row] = 0 if plan.frames is None else plan.frames
            if self.noise is not None:
                self.noise[row] = plan.noise
            self.views[row] = plan.view
        servo = None
        if plans[0].servo is not None:
            fields = ("latency", "tau", "max_speed", "deadband", "backlash")
            stacked = {f: np.stack([getattr(p.servo, f) for p in plans]) for f in fields}
            servo = ServoParams(**{f: np.concatenate([v, v]) for f, v in stacked.items()})
        gains = None if plans[0].gains is None else np.tile(np.stack([p.gains for p in plans]), (2, 1))
        both = np.concatenate([rows, rows + self.n])
        self._any_human = bool(self.human.any())
        self.twin.restart(both, servo)
        self.twin.advance(rows + self.n, self.commands[rows, self.segment[rows, 0]])
        self.gains[both] = 1.0 if gains is None else gains
        self.state[both] = self.space.state(self.twin.load[both], self.gains[both])
        self.t[rows] = 0
        self.prev_action[rows] = self.neutral
        self._observe(rows)
        return self._errors(rows)

    # -- stepping ------------------------------------------------------------------------------

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply validated actions (N, A) float32 to every row: (reward (N,), truncated (N,), error
        summary (N, R + 1))."""
        n, rows, t = self.n, self._rows, self.t
        self._target_state[:] = self.state[n:]
        self._batch_commands[:n] = actions
        upcoming = np.minimum(t + 1, self.episode_steps)
        self._batch_commands[n:] = self.commands[rows, self.segment[rows, upcoming]]
        self.twin.step(self._batch_commands)
        self.space.state(self.twin.load, self.gains, out=self.state)
        summary = self._errors(rows, self._target_state, self.frames[rows, t] if self._any_human else None)
        change = actions - self.prev_action
        np.square(change, out=change)
        rate = change.sum(axis=1, dtype=np.float64) / self.n_actuators
        reward = summary[:, -1] / -self.space.inter_ocular_mm - self.action_rate_cost * rate
        self.prev_action[:] = actions
        t += 1
        self._observe(rows)
        return reward, t >= self.episode_steps, summary

    def _errors(self, rows: np.ndarray, target_state: np.ndarray | None = None,
                frames: np.ndarray | None = None) -> np.ndarray:
        """Landmark errors (mm) of `rows` against the targets they were to reach (the current
        targets when `target_state` is None): (len(rows), R + 1), the mean error of each region of
        `LandmarkSpace.regions` and, last, of every movable landmark."""
        if target_state is None:
            target_state = self.state[rows + self.n]
            frames = self.frames[rows, self.t[rows]]
        human = self.human[rows] if self._any_human else None
        if human is not None:
            target_state = target_state.copy()
            target_state[human] = self._neutral_state
        state = self.state[: self.n] if len(rows) == self.n else self.state[rows]
        difference = product(state - target_state, self.space.landmark_map)
        if human is not None:
            difference[human] -= self.human_bank.displacement[frames[human]]
        return self.space.distances(difference) @ self._summary_weights

    def _observe(self, rows: np.ndarray) -> None:
        k, a, n = self.n_code, self.n_actuators, self.n
        obs = self.obs
        full = len(rows) == n
        t = np.minimum(self.t[rows], self.episode_steps)  # a row past its end waits for its restart
        if full:
            codes = self.state @ self.space.code_map
            face, target = codes[:n], codes[n:]
        else:
            face = self.state[rows] @ self.space.code_map
            target = self.state[rows + n] @ self.space.code_map
        if self._any_human:
            human = self.human[rows]
            target[human] = self.human_bank.codes[self.frames[rows[human], t[human]]]
        if self.noise is not None:
            face += self.noise[rows, t]
        if full:
            obs[:, :k] = target
            obs[:, k : 2 * k] = face
            obs[:, 2 * k : 2 * k + a] = self.twin.actuator_commands(slice(0, n))
            obs[:, 2 * k + a :] = self.prev_action
            np.minimum(obs, self.obs_high, obs)  # np.clip, without its Python wrapper
            np.maximum(obs, self.obs_low, obs)
        else:
            obs[rows, :k] = target
            obs[rows, k : 2 * k] = face
            obs[rows, 2 * k : 2 * k + a] = self.twin.actuator_commands(rows)
            obs[rows, 2 * k + a :] = self.prev_action[rows]
            obs[rows] = np.clip(obs[rows], self.obs_low, self.obs_high)

    def info(self, summary: np.ndarray, rows: np.ndarray) -> dict:
        """The info of `rows` as arrays: mean and per-region errors (mm) and the kind of target."""
        summary = summary.astype(np.float64)
        return {
            "landmark_error_mm": summary[:, -1],
            "region_error_mm": {name: summary[:, r] for r, name in enumerate(self.space.regions)},
            "human_target": self.human[rows].copy(),
            "face_visible": np.ones(len(rows), dtype=bool),
        }

    def row_info(self, summary: np.ndarray, row: int = 0) -> dict:
        """The info of one row (summary (R + 1,)) with plain Python values, as a single env returns it."""
        values = summary.tolist()
        return {
            "landmark_error_mm": values[-1],
            "region_error_mm": dict(zip(self.space.regions, values[:-1])),
            "human_target": bool(self.human[row]),
            "face_visible": True,
        }

    # -- what a row shows ----------------------------------------------------------------------

    def target_landmarks(self, row: int) -> np.ndarray:
        """The current target of `row` as 478x3 landmarks (static ones at neutral)."""
        if self.human[row]:
            step = min(int(self.t[row]), self.episode_steps)
            flat = self.human_bank.displacement[self.frames[row, step]] + self.space.neutral
        else:
            flat = product(self.state[row + self.n][None], self.space.landmark_map)[0]
        return self.space.unflatten(flat, self.model.neutral_landmarks)

    def face_landmarks(self, row: int) -> np.ndarray:
        flat = product(self.state[row][None], self.space.landmark_map)[0]
        return self.space.unflatten(flat, self.model.neutral_landmarks)
