"""The fast skin: precomputed modes combined linearly, batched in numpy, differentiable in torch.

Every skin feature (an actuator's travel, or sin / 1 - cos of the jaw angle) has one
precomputed displacement field over the refined mesh: fitted to the physics skin's
equilibria when the face has a fit (`sim/skin_fit.py`), else solved from a thin-sheet elastic
model. Landmarks for a batch of faces are then one matrix product, and the same product in
torch gives gradients for oracles and self-models.
The eyes turn rigidly about their centres; the neck moves the whole head and so leaves
face-frame landmarks unchanged. Solved fields are cached on disk, keyed by a hash of the face's
files and of this model's version.
"""

from __future__ import annotations

import numpy as np

from facetwin.atomic import atomic_write
from facetwin.cache import cache_dir
from facetwin.sim.elastic import solve_responses, stiffness
from facetwin.sim.kinematics import place_irises
from facetwin.sim.rig import FaceModel

MODEL_VERSION = "fast-skin-1"


def compute_modes(model: FaceModel) -> np.ndarray:
    """Displacement fields (features, vertices, 3) per unit of each feature value."""
    vertices, faces = model.mesh.vertices, model.mesh.faces
    k = stiffness(vertices, faces, model.config.skin.membrane, model.config.skin.bending)
    constrained = model.constrained
    slot = {v: i for i, v in enumerate(constrained)}
    prescribed = np.zeros((len(constrained), 3 * model.n_features))
    for f, feature in enumerate(model.features):
        rows = [slot[a] for a in feature.anchors]
        prescribed[rows, 3 * f : 3 * f + 3] = feature.displacement
    # The stiffness acts on each coordinate alike, so column 3f + axis is one scalar field.
    solved = solve_responses(k, constrained, prescribed)
    return solved.reshape(len(vertices), model.n_features, 3).transpose(1, 0, 2)


def load_modes(model: FaceModel) -> np.ndarray:
    """The face's fit to the physics skin when it has one (`skin.fit`); otherwise the elastic
    modes from the on-disk cache, computed and written atomically on a miss."""
    if model.config.skin.fit is not None:
        from facetwin.sim.skin_fit import load_fit

        return load_fit(model).refined(model)
    path = cache_dir() / f"{model.spec.name}-{model.digest}-{MODEL_VERSION}.npy"
    if path.is_file():
        try:
            modes = np.load(path)
            if modes.shape == (model.n_features, model.mesh.n_vertices, 3):
                return modes
        except (OSError, ValueError):
            pass
    modes = compute_modes(model)
    with atomic_write(path) as handle:
        np.save(handle, modes)
    return modes


class FastSkin:
    """Landmarks (and, for rendering, every skin vertex) from actuator positions, batched."""

    def __init__(self, model: FaceModel, modes: np.ndarray | None = None):
        self.model = model
        self.modes = load_modes(model) if modes is None else modes
        n_lm = len(model.neutral_landmarks)
        landmark_modes = self.modes[:, :n_lm].reshape(model.n_features, -1)
        # The neutral face rides along as a last mode with a constant feature of one, so a batch
        # of landmarks is a single matrix product with no extra pass over the output.
        neutral = model.neutral_landmarks.reshape(1, -1)
        self.landmark_modes = np.ascontiguousarray(np.concatenate([landmark_modes, neutral]), dtype=np.float32)

    def landmarks(self, positions: np.ndarray) -> np.ndarray:
        """(..., A) actuator positions in their units -> (..., 478, 3) float32 landmarks, face frame."""
        positions = np.asarray(positions)
        features = np.ones((*positions.shape[:-1], self.model.n_features + 1), dtype=np.float32)
        features[..., :-1] = self.model.feature_values(positions)
        flat = features @ self.landmark_modes
        out = flat.reshape(*positions.shape[:-1], -1, 3)
        place_irises(self.model, out, positions)
        return out

    def vertices(self, positions: np.ndarray) -> np.ndarray:
        """(A,) positions -> every vertex of the refined skin (V, 3), for rendering one face."""
        features = self.model.feature_values(np.asarray(positions, dtype=np.float64))
        out = self.model.mesh.vertices + np.tensordot(features, self.modes, axes=1)
        place_irises(self.model, out, positions)
        return out

