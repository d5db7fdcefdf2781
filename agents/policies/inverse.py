"""The inverse self-model as a policy, answering one request in a few tens of microseconds.

The network is flattened once into plain weight tensors: the landmark encoding (movable
landmarks, minus the neutral, over the scale) is folded into the first projection, which then
reads the flattened 478x3 target directly (the static landmarks' columns are zero), and the
MLP's linear path shares one product with its first hidden layer. A request is then four
matrix-vector products and three activations, with no autograd and no module dispatch, on one
thread. Torch does the products rather than numpy because numpy's BLAS splits even these small
products over every core, which on a shared machine turns microseconds into milliseconds.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.functional import silu

from facetwin.agents.policies.policy import Policy
from facetwin.agents.policies.registry import check_target, check_targets, one_thread
from facetwin.agents.selfmodel.models import SelfModel
from facetwin.errors import ConfigError
from facetwin.observation import FaceObservation
from facetwin.spec import N_LANDMARKS, FaceSpec


def _plain(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.detach().to(torch.float32).contiguous()


class InversePolicy(Policy):
    name = "inverse"

    def __init__(self, model: SelfModel, spec: FaceSpec):
        super().__init__(spec)
        if model.kind != "inverse":
            raise ConfigError(f"a {model.kind} model cannot act as the inverse policy")
        model.check_face(spec)
        self.model = model
        codec, net = model.codec, model.net
        project = net.project.weight.detach().to(torch.float64) / codec.scale
        columns = torch.as_tensor((codec.movable[:, None] * 3 + np.arange(3)).reshape(-1))
        weight = torch.zeros(len(project), N_LANDMARKS * 3, dtype=torch.float64)
        weight[:, columns] = project
        neutral = torch.as_tensor(codec.neutral.reshape(-1), dtype=torch.float64)
        self._w0 = _plain(weight)
        self._b0 = _plain(net.project.bias.detach().to(torch.float64) - weight @ neutral)
        linears = [m for m in net.mlp.body if isinstance(m, nn.Linear)]
        self._n_out = len(model.actuators)
        self._w1 = _plain(torch.cat([net.mlp.linear.weight, linears[0].weight]))
        self._b1 = _plain(torch.cat([net.mlp.linear.bias, linears[0].bias]))
        self._layers = [(_plain(m.weight), _plain(m.bias)) for m in linears[1:]]
        self._face = np.asarray(model.actuators)
        self._neutral = spec.neutral_command.astype(np.float32)

    def _single(self, flat: torch.Tensor) -> torch.Tensor:
        z = torch.addmv(self._b1, self._w1, torch.addmv(self._b0, self._w0, flat))
        linear, h = z[: self._n_out], z[self._n_out:]
        for weight, bias in self._layers:
            h = torch.addmv(bias, weight, silu(h))
        return torch.tanh(linear + h)

    def _batch(self, flat: torch.Tensor) -> torch.Tensor:
        z = torch.addmm(self._b1, torch.addmm(self._b0, flat, self._w0.T), self._w1.T)
        linear, h = z[:, : self._n_out], z[:, self._n_out:]
        for weight, bias in self._layers:
            h = torch.addmm(bias, silu(h), weight.T)
        return torch.tanh(linear + h)

    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        flat = check_target(target).reshape(-1)
        flat = torch.from_numpy(flat if flat.flags.writeable else flat.copy())
        command = self._neutral.copy()
        with one_thread():
            command[self._face] = self._single(flat).numpy()
        return command

    def act_batch(self, targets: np.ndarray) -> np.ndarray:
        flat = np.ascontiguousarray(check_targets(targets).reshape(len(targets), -1))
        flat = torch.from_numpy(flat if flat.flags.writeable else flat.copy())
        commands = np.repeat(self._neutral[None], len(flat), axis=0)
        with one_thread():
            commands[:, self._face] = self._batch(flat).numpy()
        return commands
