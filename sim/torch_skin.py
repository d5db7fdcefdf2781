"""The fast skin in torch: the same landmarks as the numpy skin, with gradients.

Oracles optimise commands through it and self-models can be trained against it; it shares
the precomputed modes with `FastSkin`, so the two never disagree by more than rounding.
"""

from __future__ import annotations

import numpy as np
import torch

from facetwin.sim.fast_skin import FastSkin


def _axis_rotation(axis: np.ndarray, degrees: torch.Tensor) -> torch.Tensor:
    angle = torch.deg2rad(degrees)[..., None, None]
    x, y, z = (float(a) for a in axis)
    cross = torch.tensor([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]], dtype=degrees.dtype, device=degrees.device)
    eye = torch.eye(3, dtype=degrees.dtype, device=degrees.device)
    return eye + torch.sin(angle) * cross + (1.0 - torch.cos(angle)) * (cross @ cross)


class TorchFastSkin(torch.nn.Module):
    """Commands or positions -> landmarks (..., 478, 3) in mm, differentiable."""

    def __init__(self, skin: FastSkin, dtype: torch.dtype = torch.float32):
        super().__init__()
        model = skin.model
        self.model = model
        n_features = model.n_features
        modes = torch.as_tensor(skin.modes[:, : len(model.neutral_landmarks)].reshape(n_features, -1), dtype=dtype)
        self.register_buffer("modes", modes)
        self.register_buffer("neutral", torch.as_tensor(model.neutral_landmarks.reshape(-1), dtype=dtype))
        self.register_buffer("feature_actuator", torch.as_tensor(model.feature_actuator))
        self.register_buffer("is_sin", torch.as_tensor(model.feature_is_sin))
        self.register_buffer("is_versin", torch.as_tensor(model.feature_is_versin))
        self.register_buffer("low", torch.as_tensor(model.spec.low, dtype=dtype))
        self.register_buffer("high", torch.as_tensor(model.spec.high, dtype=dtype))
        linkages = [a.linkage for a in model.config.actuators]
        gain = np.array([k.gain for k in linkages])
        offset = np.array([k.offset for k in linkages])
        identity = bool(np.all(gain == 1.0) and np.all(offset == 0.0))
        neutral = model.spec.command_to_position(model.spec.neutral_command.astype(np.float64))
        self._linkage = None if identity else tuple(torch.as_tensor(v, dtype=dtype) for v in (gain, offset, neutral))
        iris = np.concatenate(model.iris)
        centres = np.concatenate([np.repeat(c[None], len(i), 0) for c, i in zip(model.eye_centers, model.iris)])
        self.register_buffer("iris", torch.as_tensor(iris))
        self.register_buffer("iris_centres", torch.as_tensor(centres, dtype=dtype))
        self.register_buffer("iris_rest", torch.as_tensor(model.mesh.vertices[iris] - centres, dtype=dtype))

    def positions(self, command: torch.Tensor) -> torch.Tensor:
        """Commands -> where the linkages put the skin: the travel, through each linkage's gain and
        offset when the face names any (a calibrated twin's jaw), as TwinBatch.load has it."""
        travel = self.low + (command + 1.0) * 0.5 * (self.high - self.low)
        if self._linkage is None:
            return travel
        gain, offset, neutral = self._linkage
        return neutral + gain * (travel - neutral) + offset

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        values = positions[..., self.feature_actuator]
        angle = torch.deg2rad(values)
        rotary = torch.where(self.is_sin, torch.sin(angle), 1.0 - torch.cos(angle))
        features = torch.where(self.is_sin | self.is_versin, rotary, values)
        flat = self.neutral + features @ self.modes
        landmarks = flat.reshape(*positions.shape[:-1], -1, 3)
        if not self.model.eye_joints:
            return landmarks
        rotation = torch.eye(3, dtype=positions.dtype, device=positions.device).expand(*positions.shape[:-1], 3, 3)
        for joint in self.model.eye_joints:
            rotation = rotation @ _axis_rotation(joint.axis, positions[..., joint.actuator])
        irises = self.iris_centres + torch.einsum("...ij,kj->...ki", rotation, self.iris_rest)
        landmarks = landmarks.clone()
        landmarks[..., self.iris, :] = irises
        return landmarks

    def from_command(self, command: torch.Tensor) -> torch.Tensor:
        return self.forward(self.positions(command))
