"""The expression predictor: the person's face code a chosen time ahead, from the last second.

The face code is the target's expression in a principal-component basis learned from people
(the movable landmarks of the retargeted target, `n_codes` components, each scaled to unit
spread). A forecast reads only the last `window` frames (one second at 30 frames/s), each as its
code relative to the newest and its time relative to it, plus the horizon, and answers the
change of code by then: a small temporal filter network shared by every component (so a few
hundred frames of people teach it motion in general, not one person's expressions), causal by
construction (nothing after the newest frame enters), that answers "no change" (holding the last
frame) before it has learned anything.
Inference is numpy on the stored weights, so the mimic loop loads no torch for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.atomic import atomic_write
from facetwin.errors import ConfigError
from facetwin.spec import FaceSpec

WINDOW = 30
N_CODES = 12


def window_features(codes: np.ndarray, times: np.ndarray, horizon_s: float | np.ndarray) -> np.ndarray:
    """Features (N, K, 2W + 1) of windows ending at each row, one row per code component (the one
    temporal filter is shared by every component): `codes` (N, W, K) and `times` (N, W), oldest
    first (padded by repeating the oldest frame), horizon (N,) or one value, all in seconds."""
    n, w, k = codes.shape
    relative = np.moveaxis(codes - codes[:, -1:, :], 1, 2)
    ages = np.broadcast_to((times - times[:, -1:])[:, None, :], (n, k, w))
    horizon = np.broadcast_to(np.asarray(horizon_s, dtype=np.float64).reshape(-1, 1, 1), (n, k, 1))
    return np.concatenate([relative, ages, horizon], axis=2)


@dataclass
class ExpressionPredictor:
    """Weights of the forecast network and the code it works in; `metrics` how it was scored."""

    face_digest: str
    mean: np.ndarray          # (L*3,) mean target over the movable landmarks
    components: np.ndarray    # (K, L*3) orthonormal principal directions
    scale: np.ndarray         # (K,) each component's spread over the people it was learned from
    layers: list[tuple[np.ndarray, np.ndarray]]
    metrics: dict

    @property
    def window(self) -> int:
        return (self.layers[0][0].shape[1] - 1) // 2

    @property
    def n_codes(self) -> int:
        return len(self.components)

    def codes(self, targets: np.ndarray) -> np.ndarray:
        """Face codes (..., K) of targets (..., L, 3) over the movable landmarks."""
        flat = np.asarray(targets, dtype=np.float64).reshape(*np.shape(targets)[:-2], -1)
        return (flat - self.mean) @ self.components.T / self.scale

    def displacement(self, code_change: np.ndarray) -> np.ndarray:
        """The landmark change (..., L, 3) of a change of code (..., K)."""
        flat = (np.asarray(code_change, dtype=np.float64) * self.scale) @ self.components
        return flat.reshape(*flat.shape[:-1], -1, 3)

    def code_change(self, features: np.ndarray) -> np.ndarray:
        """The forecast change of code (N, K) for window features (N, K, F)."""
        h = features
        for i, (weight, bias) in enumerate(self.layers):
            h = h @ weight.T + bias
            if i < len(self.layers) - 1:
                h = np.tanh(h)
        return h[..., 0]

    def check_face(self, spec: FaceSpec) -> None:
        if self.face_digest != spec.digest:
            raise ConfigError(f"the expression predictor was trained on face digest {self.face_digest}, "
                              f"not on {spec.name!r} ({spec.digest}); train one with `facetwin train predictor`")

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        arrays = {f"w{i}": w for i, (w, _) in enumerate(self.layers)}
        arrays.update({f"b{i}": b for i, (_, b) in enumerate(self.layers)})
        with atomic_write(path) as handle:
            np.savez(handle, face_digest=self.face_digest, mean=self.mean, components=self.components, scale=self.scale,
                     metrics=np.array(repr(self.metrics)), **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> ExpressionPredictor:
        import ast

        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no expression predictor there; train one with `facetwin train predictor`")
        try:
            with np.load(path) as data:
                n = sum(1 for k in data.files if k.startswith("w"))
                layers = [(data[f"w{i}"].astype(np.float64), data[f"b{i}"].astype(np.float64)) for i in range(n)]
                return cls(str(data["face_digest"]), data["mean"].astype(np.float64),
                           data["components"].astype(np.float64), data["scale"].astype(np.float64), layers,
                           ast.literal_eval(str(data["metrics"])))
        except (OSError, KeyError, ValueError, SyntaxError) as error:
            raise ConfigError(f"{path}: not an expression predictor ({error})") from None


def default_predictor_path(spec: FaceSpec) -> Path:
    """Where a face ships its predictor: assets/faces/<name>/policies/predictor.npz."""
    from facetwin.faces import faces_root

    return faces_root() / spec.name / "policies" / "predictor.npz"
