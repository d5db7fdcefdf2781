"""The oracle: for each target, the command (within [-1, 1]) whose face comes closest, found by
optimising through the differentiable twin. It knows the face's kinematic model exactly, which
no deployable policy does, so its error is the floor: what this face can physically show of the
target. Any policy's error is judged against it.

The objective is the evaluation's error itself: the mean Euclidean distance over the movable
landmarks (smoothed at zero so its gradient exists). It is minimised by projected Adam (a step,
then a clip back into the bounds), batched over targets and over restarts: one from neutral and
the others from random commands, keeping each target's best. The neck stays at neutral.
"""

from __future__ import annotations

import numpy as np
import torch

from facetwin.agents.metrics import face_actuators, movable_landmarks
from facetwin.agents.policies.policy import Policy
from facetwin.agents.policies.registry import check_target, check_targets, one_thread
from facetwin.observation import FaceObservation
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import FaceModel
from facetwin.sim.torch_skin import TorchFastSkin


class OraclePolicy(Policy):
    """`iterations` Adam steps (learning rate `lr`, a tenth of it for the last third) from
    `restarts` starting commands per target, `chunk` targets at a time."""

    name = "oracle"

    def __init__(self, model: FaceModel, *, iterations: int = 200, restarts: int = 3, lr: float = 0.05,
                 chunk: int = 256, seed: int = 0):
        super().__init__(model.spec)
        self.skin = TorchFastSkin(FastSkin(model))
        self.movable = torch.as_tensor(movable_landmarks(self.spec))
        self.face = torch.as_tensor(face_actuators(self.spec))
        self.neutral = torch.as_tensor(self.spec.neutral_command)
        self.iterations, self.restarts, self.lr, self.chunk, self.seed = iterations, restarts, lr, chunk, seed

    def errors(self, commands: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean landmark distance (mm) of each command's face from its target, differentiable."""
        faces = self.skin.from_command(commands)[:, self.movable]
        return torch.sqrt(((faces - targets[:, self.movable]) ** 2).sum(-1) + 1e-8).mean(-1)

    def _solve(self, targets: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        b, n_face = len(targets), len(self.face)
        starts = [self.neutral[self.face].expand(b, n_face)]
        starts += [torch.rand(b, n_face, generator=generator) * 2.0 - 1.0 for _ in range(self.restarts - 1)]
        free = torch.cat(starts).clone().requires_grad_(True)
        repeated = targets.repeat(self.restarts, 1, 1)
        base = self.neutral.expand(len(free), -1)
        optimiser = torch.optim.Adam([free], lr=self.lr)
        for step in range(self.iterations):
            if step == 2 * self.iterations // 3:
                for group in optimiser.param_groups:
                    group["lr"] = self.lr / 10.0
            command = base.index_copy(1, self.face, free)
            loss = self.errors(command, repeated).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                free.clamp_(-1.0, 1.0)
        with torch.no_grad():
            command = base.index_copy(1, self.face, free)
            error = self.errors(command, repeated).reshape(self.restarts, b)
            best = error.argmin(0)
            return command.reshape(self.restarts, b, -1)[best, torch.arange(b)]

    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        return self.act_batch(check_target(target)[None])[0]

    def act_batch(self, targets: np.ndarray) -> np.ndarray:
        targets = torch.as_tensor(check_targets(targets))
        generator = torch.Generator().manual_seed(self.seed)
        with one_thread():
            out = [self._solve(targets[i:i + self.chunk], generator) for i in range(0, len(targets), self.chunk)]
        return torch.cat(out).numpy().astype(np.float32)
