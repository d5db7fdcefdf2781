"""The twin's skin fitted to what the camera saw of a face: its rest geometry and its modes.

The fast skin is linear in the skin features (a pull's travel, sin and 1 - cos of the jaw's angle),
so a face's landmarks at equilibrium are `rest + features @ modes`. A built face differs from its
drawing in ways that stay inside that model or close to it: anchors glued elsewhere move the rest
and the modes, a linkage's gain scales a mode and its offset moves the rest, a stiffer skin
reshapes the modes. So the rest and the modes are fitted by least squares on babbled equilibria,
features computed from the commands as the nominal twin computes them; the fit is regularised
towards the nominal twin's modes (ridge on the difference), so features the babbling rarely
excites stay where the drawing put them instead of where the noise does.

What the fit cannot take from the face, because the skin does not show it, stays nominal: the
irises are placed by the eye actuators, and the neck moves the whole head, not the face frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facetwin.agents.metrics import movable_landmarks
from facetwin.errors import ConfigError
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.kinematics import eye_rotation
from facetwin.sim.rig import FaceModel
from facetwin.sim.skin_fit import fitted_nodes
from facetwin.spec import N_LANDMARKS

RIDGE = 1.0
"""Weight of the pull towards the nominal modes, in samples: each feature's penalty is its
variance over the babbling times this, so the prior counts as much as one sample, small against a
thousand equilibria and decisive for a feature the babbling hardly moved."""
HELD_OUT = 0.2


@dataclass(frozen=True)
class TwinSkin:
    """Rest landmarks (478, 3) and modes (features, 478, 3) over the base vertices, mm."""

    rest: np.ndarray
    modes: np.ndarray

    def landmarks(self, model: FaceModel, positions: np.ndarray) -> np.ndarray:
        """Landmarks (..., 478, 3) of actuator positions (..., A) of the nominal `model`'s rig: the
        skin linear in the features, the irises turned with the eyes about the eye centres."""
        positions = np.asarray(positions, dtype=np.float64)
        out = self.rest + np.tensordot(model.feature_values(positions), self.modes, axes=1)
        if model.eye_joints:
            rotation = eye_rotation(model, positions)
            for centre, iris in zip(model.eye_centers, model.iris, strict=True):
                out[..., iris, :] = centre + np.einsum("...ij,kj->...ki", rotation, self.rest[iris] - centre)
        return out

    def predict(self, model: FaceModel, commands: np.ndarray) -> np.ndarray:
        """Landmarks (N, 478, 3) of commands (N, A) held to equilibrium (servo effects aside)."""
        return self.landmarks(model, model.spec.command_to_position(np.asarray(commands, dtype=np.float64)))

    def bound(self, model: FaceModel) -> BoundSkin:
        return BoundSkin(self, model)


@dataclass(frozen=True)
class BoundSkin:
    """A TwinSkin with the rig it moves on: `landmarks(positions)` as a fast skin has it."""

    skin: TwinSkin
    model: FaceModel

    def landmarks(self, positions: np.ndarray) -> np.ndarray:
        return self.skin.landmarks(self.model, positions)


def nominal_modes(model: FaceModel) -> np.ndarray:
    """The nominal twin's modes over the base vertices (features, 478, 3)."""
    return FastSkin(model).modes[:, :N_LANDMARKS]


def nominal_skin(model: FaceModel) -> TwinSkin:
    """The nominal twin's own skin as a TwinSkin."""
    return TwinSkin(model.neutral_landmarks.astype(np.float64), nominal_modes(model))


def fit_twin_skin(model: FaceModel, neutral: np.ndarray, commands: np.ndarray, landmarks: np.ndarray,
                  ridge: float = RIDGE) -> TwinSkin:
    """Fit rest and modes of the nominal `model`'s skin to `landmarks` (N, 478, 3) seen at
    equilibrium under `commands` (N, A), and `neutral` (478, 3) seen at the neutral command."""
    commands = np.asarray(commands, dtype=np.float64)
    if len(commands) < model.n_features + 2:
        raise ConfigError(f"fitting {model.n_features} skin features needs at least {model.n_features + 2} "
                          f"babbled samples, got {len(commands)}")
    nodes = fitted_nodes(model)
    prior = nominal_modes(model)[:, nodes].reshape(model.n_features, -1)
    features = model.feature_values(model.spec.command_to_position(commands))
    neutral_features = model.feature_values(model.spec.command_to_position(
        model.spec.neutral_command.astype(np.float64)[None]))
    x = np.concatenate([features, neutral_features])
    y = np.concatenate([np.asarray(landmarks, dtype=np.float64), np.asarray(neutral, dtype=np.float64)[None]])
    y = y[:, nodes].reshape(len(y), -1)
    # Centre on the means so the rest (the constant) is not pulled by the ridge, then solve the
    # ridge towards the prior: (X'X + lambda I) W = X'Y + lambda W0.
    x_mean, y_mean = x.mean(0), y.mean(0)
    xc, yc = x - x_mean, y - y_mean
    penalty = ridge * np.diag(np.maximum(xc.var(0), 1e-9))
    weights = np.linalg.solve(xc.T @ xc + penalty, xc.T @ yc + penalty @ prior)
    constant = y_mean - x_mean @ weights
    rest = np.asarray(neutral, dtype=np.float64).copy()
    rest[nodes] = constant.reshape(-1, 3)
    modes = np.zeros((model.n_features, N_LANDMARKS, 3))
    modes[:, nodes] = weights.reshape(model.n_features, -1, 3)
    return TwinSkin(rest, modes)


def region_errors(model: FaceModel, predicted: np.ndarray, seen: np.ndarray) -> dict[str, float]:
    """Mean landmark distance (mm) of `predicted` against `seen` (N, 478, 3) over the movable
    landmarks (`all`) and over each region of the face."""
    distance = np.linalg.norm(np.asarray(predicted, dtype=np.float64) - np.asarray(seen, dtype=np.float64), axis=-1)
    out = {"all": float(distance[:, movable_landmarks(model.spec)].mean())}
    for region, indices in model.spec.regions.items():
        if region != "static":
            out[region] = float(distance[:, list(indices)].mean())
    return out


def held_out_fit_errors(model: FaceModel, neutral: np.ndarray, commands: np.ndarray,
                        landmarks: np.ndarray) -> dict[str, dict[str, float]]:
    """The fit's held-out error per region: fitted on the first 80% of the babbling, scored on
    the rest, beside the nominal twin scored on the same samples."""
    split = int(round(len(commands) * (1.0 - HELD_OUT)))
    trial = fit_twin_skin(model, neutral, commands[:split], landmarks[:split])
    nominal = nominal_skin(model)
    seen = landmarks[split:]
    return {"nominal": region_errors(model, nominal.predict(model, commands[split:]), seen),
            "calibrated": region_errors(model, trial.predict(model, commands[split:]), seen),
            "samples": len(seen)}
