"""The movable landmarks of one face as a linear function of the twin's state, and the compact
code the environments observe.

The fast skin makes every landmark linear in the skin features (an actuator's travel, sin and
1 - cos of the jaw angle); the irises turn rigidly with the eyes, and by Rodrigues' formula a chain
of eye joints is linear in the products of their sines and versines. So all movable landmarks are
one matrix product, `[skin features, eye terms, 1] @ landmark_map`, for a whole batch, and the
reward needs no per-face work beyond it.

Landmarks here are flattened coordinate-major (every x, then every y, then every z) so that
per-landmark distances add three contiguous blocks instead of striding over triples.

The code is where a face lies in the span of everything the twin can show: the displacement from
neutral projected onto an orthonormal basis of that span (computed once by SVD), each coordinate
divided by its spread over random commands. Since the basis is orthonormal, the code of any
landmarks (a human target, a hardware face) keeps exactly the part of them the twin could match.
"""

from __future__ import annotations

import itertools

import numpy as np

from facetwin.envs.state_kernel import fill_state
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import FaceModel
from facetwin.topology import LEFT_IRIS, RIGHT_IRIS

SMALL_BATCH = 16


def product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`a @ b` for wide products such as the landmark map. For a few rows numpy's own loops:
    OpenBLAS hands even a 1 x 31 x 1,344 product to its worker threads, and waking them costs far
    more than the product (hundreds of microseconds on a busy machine, against a few)."""
    if len(a) <= SMALL_BATCH:
        return np.einsum("ij,jk->ik", a, b)
    return a @ b


def _cross_matrix(axis: np.ndarray) -> np.ndarray:
    x, y, z = axis
    return np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])


class LandmarkSpace:
    """Movable landmarks (every landmark outside the face's `static` region), their map from the
    twin's state, the observation code, the face's inter-ocular distance and its regions."""

    def __init__(self, model: FaceModel, skin: FastSkin | None = None):
        skin = skin or FastSkin(model)
        spec = model.spec
        self.model = model
        static = set(spec.regions.get("static", ()))
        self.movable = np.array([i for i in range(spec.n_landmarks) if i not in static], dtype=np.int64)
        self.n_movable = len(self.movable)
        # Flat index (into landmarks.reshape(-1)) of each coordinate, coordinate-major.
        self.columns = (self.movable[None, :] * 3 + np.arange(3)[:, None]).ravel()
        self._plan_state(model)
        full = self._full_map(model, skin)
        self.landmark_map = np.ascontiguousarray(full[:, self.columns], dtype=np.float32)
        self.neutral = self.landmark_map[-1].copy()
        self._plan_code(full[:-1, self.columns])
        neutral = model.neutral_landmarks
        self.inter_ocular_mm = float(np.linalg.norm(neutral[RIGHT_IRIS[0]] - neutral[LEFT_IRIS[0]]))
        self._plan_regions(spec.regions)

    def _plan_state(self, model: FaceModel) -> None:
        """Every state value is a column of a per-face table [1, positions, sin and 1 - cos of the
        angles the skin and the eyes turn by], or a product of such columns (the eye terms)."""
        n_act = model.spec.n_actuators
        rotary = model.feature_is_sin | model.feature_is_versin
        eyes = [j.actuator for j in model.eye_joints]
        self._angles = np.unique(np.concatenate([model.feature_actuator[rotary], eyes]).astype(np.int64))
        n_angles = len(self._angles)
        sin_col = {int(a): 1 + n_act + k for k, a in enumerate(self._angles)}
        versin_col = {a: c + n_angles for a, c in sin_col.items()}
        self._table_size = 1 + n_act + 2 * n_angles
        self.n_skin = model.n_features
        self._skin_columns = np.array([
            sin_col[int(a)] if is_sin else versin_col[int(a)] if is_versin else 1 + int(a)
            for a, is_sin, is_versin in zip(model.feature_actuator, model.feature_is_sin, model.feature_is_versin)
        ], dtype=np.int64)
        # Every product of (1, sin, 1 - cos) over the eye joints except the constant one.
        self._eye_powers = [p for p in itertools.product(range(3), repeat=len(eyes)) if any(p)]
        self._eye_columns = np.array(
            [[0 if powers[j] == 0 else sin_col[a] if powers[j] == 1 else versin_col[a] for powers in self._eye_powers]
             for j, a in enumerate(eyes)], dtype=np.int64).reshape(len(eyes), len(self._eye_powers))
        self.n_eye = len(self._eye_powers)
        self.n_state = self.n_skin + self.n_eye + 1
        self._table = np.empty(self._table_size)
        self._no_gains = np.ones((1, self.n_skin), dtype=np.float32)

    def _full_map(self, model: FaceModel, skin: FastSkin) -> np.ndarray:
        """(n_state, 478 * 3): the skin modes, the irises' response to each eye term, the neutral face."""
        modes = skin.landmark_modes.astype(np.float64)  # (F + 1, 478 * 3), last row the neutral face
        full = np.zeros((self.n_state, model.spec.n_landmarks * 3))
        full[: self.n_skin] = modes[: self.n_skin]
        full[-1] = modes[-1]
        if model.eye_joints:
            crosses = [_cross_matrix(j.axis) for j in model.eye_joints]
            for centre, iris in zip(model.eye_centers, model.iris):
                rest = model.mesh.vertices[iris] - centre
                cols = (iris[:, None] * 3 + np.arange(3)).ravel()
                full[: self.n_skin, cols] = 0.0  # the irises follow the eyes, not the skin
                for row, powers in enumerate(self._eye_powers, start=self.n_skin):
                    matrix = np.eye(3)
                    for cross, power in zip(crosses, powers):
                        matrix = matrix @ np.linalg.matrix_power(cross, power)
                    full[row, cols] = (rest @ matrix.T).ravel()
        return full

    def _plan_code(self, responses: np.ndarray) -> None:
        """Orthonormal basis of the reachable displacements (`responses`: each state value's, movable
        coordinates), and each code coordinate's spread over random commands."""
        spec = self.model.spec
        _, singular, vt = np.linalg.svd(responses, full_matrices=False)
        basis = vt[singular > 1e-6 * singular[0]].T
        self.n_code = basis.shape[1]
        raw = responses @ basis
        rng = np.random.default_rng(0)  # a fixed sample: the scale is part of the face's definition
        commands = rng.uniform(-1.0, 1.0, (4096, spec.n_actuators))
        spread = (self.state(spec.command_to_position(commands))[:, :-1] @ raw).std(axis=0)
        self.code_scale = np.maximum(spread, 0.01 * spread.max())
        self._basis = np.ascontiguousarray(basis / self.code_scale, dtype=np.float32)
        code_map = np.zeros((self.n_state, self.n_code))
        code_map[:-1] = raw / self.code_scale
        self.code_map = np.ascontiguousarray(code_map, dtype=np.float32)

    def _plan_regions(self, regions: dict[str, tuple[int, ...]]) -> None:
        """`region_weights` (n_movable, R): a region's mean error is the distances times its column."""
        position = {int(i): k for k, i in enumerate(self.movable)}
        self.regions = [name for name, members in regions.items()
                        if name != "static" and any(int(i) in position for i in members)]
        self.region_weights = np.zeros((self.n_movable, len(self.regions)), dtype=np.float32)
        for r, name in enumerate(self.regions):
            members = [position[int(i)] for i in regions[name] if int(i) in position]
            self.region_weights[members, r] = 1.0 / len(members)

    def state(self, positions: np.ndarray, gains: np.ndarray | None = None, out: np.ndarray | None = None
              ) -> np.ndarray:
        """(B, n_state) float32 `[skin features * gains, eye terms, 1]` from actuator positions (B, A)
        in their units; `gains` (B, F) scales each skin feature (domain randomisation). The skin
        features are `FaceModel.feature_values`, computed the same way."""
        positions = np.ascontiguousarray(positions, dtype=np.float64)
        out = np.empty((len(positions), self.n_state), dtype=np.float32) if out is None else out
        scaled = gains is not None
        fill_state(positions, self._angles, self._skin_columns, self._eye_columns,
                   gains if scaled else self._no_gains, scaled, self._table, out)
        return out

    def flatten(self, landmarks: np.ndarray) -> np.ndarray:
        """(..., 478, 3) landmarks -> (..., 3 * n_movable) float32, coordinate-major."""
        landmarks = np.asarray(landmarks, dtype=np.float32)
        return landmarks.reshape(*landmarks.shape[:-2], -1)[..., self.columns]

    def unflatten(self, flat: np.ndarray, fill: np.ndarray) -> np.ndarray:
        """Movable landmarks back to (478, 3), the static ones taken from `fill` (478, 3)."""
        out = np.array(fill, dtype=np.float32)
        out[self.movable] = np.asarray(flat).reshape(3, -1).T
        return out

    def encode(self, flat: np.ndarray) -> np.ndarray:
        """The code (..., n_code) float32 of flattened movable landmarks (any source)."""
        displacement = np.asarray(flat, dtype=np.float32) - self.neutral
        rows = displacement.reshape(-1, displacement.shape[-1])
        return product(rows, self._basis).reshape(*displacement.shape[:-1], self.n_code)

    def distances(self, difference: np.ndarray) -> np.ndarray:
        """Per-landmark Euclidean distances (B, n_movable) from flattened differences (B, 3 n)."""
        xyz = difference.reshape(len(difference), 3, self.n_movable)
        squared = np.einsum("bcm,bcm->bm", xyz, xyz)  # one pass, no squared copy of the input
        return np.sqrt(squared, out=squared)


def eye_rotation_from_irises(model: FaceModel, landmarks: np.ndarray) -> np.ndarray:
    """The eye rotation (3, 3) that best turns the rest irises onto those of `landmarks` (Kabsch
    over both eyes), for drawing a target whose eye joint angles are unknown."""
    rest, moved = [], []
    for centre, iris in zip(model.eye_centers, model.iris):
        rest.append(model.mesh.vertices[iris] - centre)
        moved.append(np.asarray(landmarks, dtype=np.float64)[iris] - centre)
    u, _, vt = np.linalg.svd(np.concatenate(rest).T @ np.concatenate(moved))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    return vt.T @ np.diag([1.0, 1.0, d]) @ u.T

