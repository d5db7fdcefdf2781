"""The self-models: the inverse model (target landmarks -> command) and the forward model
(command -> landmarks), and the checkpoint that ties a trained one to its face.

Landmarks enter and leave the networks as displacements from the face's own neutral, as measured
while babbling, divided by one scale in millimetres (one scale for every coordinate keeps the
geometry: a millimetre is a millimetre wherever it is). The inverse model reads only the movable
landmarks (the `static` region never moves) and answers the face actuators (the neck cannot be
seen in face-frame landmarks); the forward model answers every landmark. Both networks are a
linear map plus a small MLP: a skin is nearly linear in its actuators, so the linear path
carries most of the answer and the MLP the rest (the jaw's rotation, the eyes, the bounds).
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from facetwin.atomic import atomic_write
from facetwin.errors import ConfigError
from facetwin.spec import N_LANDMARKS, FaceSpec

FORMAT = 1
KINDS = ("inverse", "forward")


class ResidualMLP(nn.Module):
    """y = linear(x) + mlp(x), SiLU hidden layers."""

    def __init__(self, n_in: int, n_out: int, hidden: tuple[int, ...]):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        layers: list[nn.Module] = []
        width = n_in
        for h in hidden:
            layers += [nn.Linear(width, h), nn.SiLU()]
            width = h
        layers.append(nn.Linear(width, n_out))
        self.body = nn.Sequential(*layers)
        nn.init.zeros_(self.body[-1].weight)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) + self.body(x)


class InverseNet(nn.Module):
    """Encoded target (movable displacements / scale) -> face-actuator commands in (-1, 1).

    The target first goes through a learned linear projection to `bottleneck` numbers: a face
    with a few dozen actuators has few directions worth reading, and the small first layer is what
    lets one request be answered in microseconds."""

    def __init__(self, n_in: int, n_out: int, hidden: tuple[int, ...], bottleneck: int = 64):
        super().__init__()
        self.project = nn.Linear(n_in, bottleneck)
        self.mlp = ResidualMLP(bottleneck, n_out, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mlp(self.project(x)))


class ForwardNet(nn.Module):
    """Face-actuator commands -> every landmark's displacement / scale, flattened (478 * 3)."""

    def __init__(self, n_in: int, n_out: int, hidden: tuple[int, ...]):
        super().__init__()
        self.mlp = ResidualMLP(n_in, n_out, hidden)

    def forward(self, command: torch.Tensor) -> torch.Tensor:
        return self.mlp(command)


@dataclass
class LandmarkCodec:
    """Landmarks as network vectors: displacement from `neutral` (478, 3) divided by `scale` mm;
    the inverse model sees the `movable` landmarks only (InversePolicy folds that encoding into
    the network's first layer)."""

    neutral: np.ndarray
    movable: np.ndarray
    scale: float

    def encode_all(self, landmarks: np.ndarray) -> np.ndarray:
        """(..., 478, 3) -> (..., 478 * 3) float32."""
        landmarks = np.asarray(landmarks, dtype=np.float32)
        return ((landmarks - self.neutral) / self.scale).reshape(*landmarks.shape[:-2], -1).astype(np.float32)


@dataclass
class SelfModel:
    """A trained self-model and everything needed to use it on its face, and only there."""

    kind: str
    net: nn.Module
    codec: LandmarkCodec
    face: str
    spec_digest: str
    actuators: np.ndarray
    hidden: tuple[int, ...]
    bottleneck: int = 64
    train_config: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    @classmethod
    def create(cls, kind: str, spec: FaceSpec, codec: LandmarkCodec, actuators: np.ndarray,
               hidden: tuple[int, ...], bottleneck: int = 64) -> SelfModel:
        if kind not in KINDS:
            raise ConfigError(f"unknown self-model kind {kind!r}; choose one of {', '.join(KINDS)}")
        model = cls(kind, nn.Module(), codec, spec.name, spec.digest, np.asarray(actuators, dtype=np.int64),
                    tuple(hidden), bottleneck)
        model.net = model.build_net()
        return model

    def build_net(self) -> nn.Module:
        if self.kind == "inverse":
            return InverseNet(len(self.codec.movable) * 3, len(self.actuators), self.hidden, self.bottleneck)
        return ForwardNet(len(self.actuators), N_LANDMARKS * 3, self.hidden)

    def check_face(self, spec: FaceSpec, where: str = "model") -> None:
        if spec.digest != self.spec_digest:
            raise ConfigError(f"{where}: a {self.kind} model of face {self.face!r} (spec {self.spec_digest}), "
                              f"not of {spec.name!r} (spec {spec.digest})")

    def to_payload(self) -> dict:
        """Plain types and tensors only, so `torch.load(weights_only=True)` can read it back."""
        return {
            "format": FORMAT, "kind": self.kind, "face": self.face, "spec_digest": self.spec_digest,
            "actuators": self.actuators.tolist(), "hidden": list(self.hidden), "bottleneck": self.bottleneck,
            "state_dict": {k: v.detach().clone() for k, v in self.net.state_dict().items()},
            "codec": {"neutral": torch.as_tensor(self.codec.neutral), "movable": self.codec.movable.tolist(),
                      "scale": float(self.codec.scale)},
            "train_config": self.train_config, "metrics": self.metrics, "history": self.history, "data": self.data,
        }

    def save(self, path: str | Path) -> Path:
        """Written atomically: a reader sees the previous checkpoint or this one, never half."""
        path = Path(path)
        with atomic_write(path) as handle:
            torch.save(self.to_payload(), handle)
        return path

    @classmethod
    def from_payload(cls, payload: dict, where: str = "model") -> SelfModel:
        try:
            if payload["format"] != FORMAT or payload["kind"] not in KINDS:
                raise ConfigError(f"{where}: format {payload['format']} / kind {payload['kind']!r} not supported")
            codec_data = payload["codec"]
            codec = LandmarkCodec(codec_data["neutral"].numpy().astype(np.float32),
                                  np.asarray(codec_data["movable"], dtype=np.int64), float(codec_data["scale"]))
            model = cls(payload["kind"], nn.Module(), codec, payload["face"], payload["spec_digest"],
                        np.asarray(payload["actuators"], dtype=np.int64), tuple(payload["hidden"]),
                        int(payload["bottleneck"]), payload.get("train_config", {}), payload.get("metrics", {}),
                        payload.get("history", []), payload.get("data", {}))
            model.net = model.build_net()
            model.net.load_state_dict(payload["state_dict"])
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            raise ConfigError(f"{where}: not a facetwin self-model checkpoint ({error})") from None
        model.net.eval()
        return model

    @classmethod
    def load(cls, path: str | Path, spec: FaceSpec | None = None, kind: str | None = None) -> SelfModel:
        """Read a checkpoint; with `spec`, refuse one trained on another face; with `kind`, another kind."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such model file")
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, EOFError, zipfile.BadZipFile, ValueError, pickle.UnpicklingError) as error:
            # torch's own message runs to many lines of advice about weights_only; its kind is enough here
            raise ConfigError(f"{path}: not a readable model checkpoint (torch cannot load it: "
                              f"{type(error).__name__})") from None
        if not isinstance(payload, dict):
            raise ConfigError(f"{path}: not a facetwin self-model checkpoint")
        model = cls.from_payload(payload, str(path))
        if kind is not None and model.kind != kind:
            raise ConfigError(f"{path}: a {model.kind} model where a {kind} model was expected")
        if spec is not None:
            model.check_face(spec, str(path))
        return model
