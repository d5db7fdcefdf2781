"""The fast skin fitted to the physics skin: the two skins become two models of one face.

The fast skin is linear in the skin features (an actuator's travel, sin and 1 - cos of the jaw
angle). Its own elastic solve is a model of a thin sheet; the physics skin is a pybullet soft body
(hung from tissue, for a face that wants one equilibrium per command), and the two settle
differently. So the fast skin's responses are taken from the
physics skin instead: hold random commands on the physics skin until it settles, and fit each
node's displacement linearly in the features by least squares. Each equilibrium also enters
mirrored (left and right actuators swapped, the face reflected), so the fit is exactly as
symmetric as the face. Landmarks are nodes, and the refined render mesh's extra vertices are
midpoints of nodes, so the fit covers every vertex. What both skins prescribe is not fitted but
set: glued vertices stay, anchors move exactly with their actuators, and the eyes place the irises.

    facetwin fit-skin --face mira-tissue --commands 1200 --workers 2 [--ray local|ADDRESS]

writes the face's `skin.fit` file (mira-tissue's skin_fit.npz) atomically. Work is done in
chunks that are kept beside the output until the fit is written, so an interrupted run resumes.
The file records a key of everything the equilibria depend on (mesh, glue, anchors and their
motions, physics parameters, the soft-body code's version); a fast skin whose face no longer
matches it refuses to load.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.atomic import atomic_write
from facetwin.errors import ConfigError
from facetwin.shard_pool import ShardPool
from facetwin.sim.bullet_skin import MODEL_VERSION as PHYSICS_VERSION
from facetwin.sim.mesh import fill_midpoints
from facetwin.sim.rig import FaceModel, load_face
from facetwin.spec import N_LANDMARKS
from facetwin.topology import reflect

CHUNK = 40
"""Commands per unit of work: one physics skin per chunk, and what an interruption can lose."""
HELD_OUT = 0.2
TOLERANCE_MM = 1e-3


@dataclass(frozen=True)
class SkinFit:
    """Per-feature displacement fields over the base vertices (features, 478, 3) in mm, and how
    well the linear model predicts physics equilibria it was not fitted on."""

    modes: np.ndarray
    heldout_rms_mm: float
    train_rms_mm: float
    n_commands: int
    seed: int
    key: str

    def refined(self, model: FaceModel) -> np.ndarray:
        """The fields over every vertex of the refined mesh (features, V, 3), with the glue and
        the anchors exactly as the rig prescribes them."""
        out = np.zeros((len(self.modes), model.mesh.n_vertices, 3))
        out[:, :N_LANDMARKS] = self.modes
        fill_midpoints(model.mesh, out)
        out[:, model.glued] = 0.0
        for f, feature in enumerate(model.features):
            out[f, feature.anchors] = feature.displacement
        return out


def fit_key(model: FaceModel) -> str:
    """Hash of what the physics skin's equilibria depend on: mesh, glue, anchor motions, physics
    parameters, and the version of the code that builds the soft body from them."""
    h = hashlib.sha256(PHYSICS_VERSION.encode())
    h.update(model.config.skin.mesh.read_bytes())
    h.update(json.dumps({"glued": model.config.skin.glued,
                         "physics": model.config.skin.physics.model_dump()}, sort_keys=True).encode())
    for feature in model.features:
        h.update(np.asarray(feature.anchors, dtype=np.int64).tobytes())
        h.update(np.round(np.asarray(feature.displacement, dtype=np.float64), 9).tobytes())
    return h.hexdigest()[:16]


def fitted_nodes(model: FaceModel) -> np.ndarray:
    """Landmarks the fit covers: every triangulated vertex (the irises are placed by the eyes);
    refinement keeps the original vertices' numbers."""
    vertices = np.unique(model.mesh.faces)
    return vertices[vertices < N_LANDMARKS]


def random_commands(model: FaceModel, n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (n, model.spec.n_actuators))


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of commands to settle on a physics skin of its own, and where to save it (or None)."""

    face: str
    commands: np.ndarray
    key: str
    path: Path | None


def settle_chunk(task: ChunkTask) -> np.ndarray:
    """Physics equilibria (n, 478, 3) of a chunk of commands, each settled from the previous one on
    a fresh skin, saved atomically by the worker that computed them."""
    from facetwin.sim.bullet_skin import BulletSkin

    model = load_face(task.face)
    positions = model.spec.command_to_position(task.commands)
    skin = BulletSkin(model)
    try:
        out = np.empty((len(task.commands), N_LANDMARKS, 3))
        for i, target in enumerate(positions):
            skin.settle(target, tolerance_mm=TOLERANCE_MM)
            out[i] = skin.landmarks(target)
    finally:
        skin.close()
    if task.path is not None:
        with atomic_write(task.path, "wb") as handle:
            np.savez(handle, commands=task.commands, landmarks=out, key=np.array(task.key))
    return out


def _saved_chunk(path: Path, commands: np.ndarray, key: str) -> np.ndarray | None:
    """The equilibria a previous run saved for exactly these commands on this physics skin, if any."""
    try:
        with np.load(path) as saved:
            if str(saved["key"]) == key and np.array_equal(saved["commands"], commands):
                return saved["landmarks"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        pass  # missing, unreadable or from an older run: computed again
    return None


def collect_equilibria(model: FaceModel, commands: np.ndarray, workers: int = 2, work_dir: Path | None = None,
                       progress: bool = False, pool: ShardPool | None = None) -> np.ndarray:
    """Physics equilibria (N, 478, 3) for `commands`, computed in chunks on `pool` (default: `workers`
    local processes). Finished chunks are saved in `work_dir` (when given) and reused, so a rerun
    resumes; a chunk of other commands or of another physics skin (its `fit_key`) is computed again.
    Each chunk is settled on a fresh skin, so where it ran does not change its equilibria."""
    pool = pool or ShardPool(workers)
    chunks = [commands[i : i + CHUNK] for i in range(0, len(commands), CHUNK)]
    key = fit_key(model)
    results: dict[int, np.ndarray] = {}
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
        for k, chunk in enumerate(chunks):
            saved = _saved_chunk(work_dir / f"chunk-{k:04d}.npz", chunk, key)
            if saved is not None:
                results[k] = saved
    todo = [k for k in range(len(chunks)) if k not in results]
    tasks = [ChunkTask(str(model.path), chunks[k], key, None if work_dir is None else work_dir / f"chunk-{k:04d}.npz")
             for k in todo]
    for i, landmarks in pool.run(settle_chunk, tasks, [len(chunks[k]) for k in todo], desc="physics equilibria",
                                 unit="command", total=len(commands), progress=progress):
        results[todo[i]] = landmarks
    return np.concatenate([results[k] for k in range(len(chunks))])


def mirror_commands(model: FaceModel, commands: np.ndarray) -> np.ndarray:
    """Each command with every actuator and its mirror image swapped (the others unchanged; the
    eyes' sign does not matter to the skin)."""
    return commands[:, model.spec.mirror_order]


def mirror_landmarks(model: FaceModel, landmarks: np.ndarray) -> np.ndarray:
    """Landmarks (..., 478, 3) reflected through the face's mid-plane (x = 0)."""
    return reflect(landmarks, model.config.landmark_mirror)


def _least_squares(features: np.ndarray, displacements: np.ndarray) -> np.ndarray:
    """(F, L, 3) fields with displacements ~ features @ fields; the neutral face (all features
    zero) stays exactly at rest, so there is no constant term."""
    n, n_features = features.shape
    weights, *_ = np.linalg.lstsq(features, displacements.reshape(n, -1), rcond=None)
    return weights.reshape(n_features, -1, 3)


def _rms(features: np.ndarray, fields: np.ndarray, displacements: np.ndarray) -> float:
    predicted = np.tensordot(features, fields, axes=1)
    return float(np.sqrt(((predicted - displacements) ** 2).sum(-1).mean()))


def _split(model: FaceModel, n_commands: int) -> int:
    """How many commands the held-out trial fit uses; too few commands for the features is a ConfigError."""
    split = int(round(n_commands * (1.0 - HELD_OUT)))
    if split < model.n_features or n_commands - split < 1:
        raise ConfigError(f"fitting {model.n_features} skin features needs at least "
                          f"{int(np.ceil(model.n_features / (1 - HELD_OUT))) + 1} commands, got {n_commands}")
    return split


def fit_skin(model: FaceModel, commands: np.ndarray, landmarks: np.ndarray, seed: int) -> SkinFit:
    """Fit the fast skin's fields to physics equilibria; the held-out error comes from a fit on
    the first 80% scored on the rest, the fields returned from all of them."""
    nodes = fitted_nodes(model)
    n_features = model.n_features
    split = _split(model, len(commands))

    def data(rows: slice) -> tuple[np.ndarray, np.ndarray]:
        both = np.concatenate([commands[rows], mirror_commands(model, commands[rows])])
        seen = np.concatenate([landmarks[rows], mirror_landmarks(model, landmarks[rows])])
        features = model.feature_values(model.spec.command_to_position(both))
        return features, seen[:, nodes] - model.neutral_landmarks[nodes]

    train, test, every = data(slice(0, split)), data(slice(split, None)), data(slice(None))
    trial = _least_squares(*train)
    fields = _least_squares(*every)
    modes = np.zeros((n_features, N_LANDMARKS, 3))
    modes[:, nodes] = fields
    return SkinFit(
        modes=modes, heldout_rms_mm=_rms(test[0], trial, test[1]), train_rms_mm=_rms(every[0], fields, every[1]),
        n_commands=len(commands), seed=seed, key=fit_key(model),
    )


def save_fit(fit: SkinFit, path: Path) -> None:
    with atomic_write(path, "wb") as handle:
        np.savez_compressed(handle, modes=fit.modes.astype(np.float32), key=fit.key,
                            heldout_rms_mm=fit.heldout_rms_mm, train_rms_mm=fit.train_rms_mm,
                            n_commands=fit.n_commands, seed=fit.seed)


def load_fit(model: FaceModel) -> SkinFit:
    """The face's fit, checked against the face; a missing or stale fit is a one-line ConfigError."""
    path = model.config.skin.fit
    regenerate = f"regenerate it with `facetwin fit-skin --face {model.path.parent}`"
    if path is None:
        raise ConfigError(f"{model.path}: skin.fit is not set")
    if not path.is_file():
        raise ConfigError(f"{model.path}: skin.fit: {path} not found; {regenerate}")
    try:
        with np.load(path) as data:
            fit = SkinFit(modes=data["modes"].astype(np.float64), heldout_rms_mm=float(data["heldout_rms_mm"]),
                          train_rms_mm=float(data["train_rms_mm"]), n_commands=int(data["n_commands"]),
                          seed=int(data["seed"]), key=str(data["key"]))
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not a skin fit ({exc}); {regenerate}") from None
    if fit.modes.shape != (model.n_features, N_LANDMARKS, 3) or not np.isfinite(fit.modes).all():
        needed = (model.n_features, N_LANDMARKS, 3)
        raise ConfigError(f"{path}: holds {fit.modes.shape} fields, the face needs {needed}; {regenerate}")
    if fit.key != fit_key(model):
        raise ConfigError(f"{path}: was fitted to another mesh, rig or physics skin than {model.path.name} "
                          f"describes now; {regenerate}")
    return fit


def run_fit(model: FaceModel, n_commands: int, seed: int, workers: int, out: Path | None = None,
            progress: bool = True, pool: ShardPool | None = None) -> tuple[SkinFit, Path]:
    """Collect, fit and write; the chunks of an interrupted run are reused, then removed."""
    out = out if out is not None else model.config.skin.fit
    if out is None:
        raise ConfigError(f"{model.path}: skin.fit is not set; name the output with --out")
    _split(model, n_commands)  # refuse too few commands before any physics runs
    work_dir = out.with_name(out.name + ".partial")
    commands = random_commands(model, n_commands, seed)
    landmarks = collect_equilibria(model, commands, workers=workers, work_dir=work_dir, progress=progress, pool=pool)
    fit = fit_skin(model, commands, landmarks, seed)
    save_fit(fit, out)
    shutil.rmtree(work_dir, ignore_errors=True)
    return fit, out
