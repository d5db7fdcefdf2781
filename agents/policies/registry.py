"""Every policy by name: `make_policy("inverse", face)` and friends, and the check every target passes.

Names: "neutral" (the face at rest), "random" (uniform commands), "nn" (nearest neighbour over
babbling data), "inverse" (the inverse self-model; the one shipped with the face unless `model`
is given), "oracle" (the command optimised through the differentiable twin: the best this face
can do). The policy classes are imported inside `make_policy`, so asking for "neutral" does not
load torch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from facetwin.agents.policies.policy import Policy
from facetwin.errors import CommandError, ConfigError
from facetwin.spec import N_LANDMARKS, FaceSpec

if TYPE_CHECKING:
    from facetwin.agents.selfmodel.models import SelfModel

POLICY_NAMES = ("neutral", "random", "nn", "inverse", "oracle", "rl")


def check_targets(targets: np.ndarray) -> np.ndarray:
    """Targets (B, 478, 3) as float32, or CommandError naming what is wrong."""
    try:
        array = np.asarray(targets, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise CommandError(f"targets are not numeric: {error}") from None
    if array.ndim != 3 or array.shape[1:] != (N_LANDMARKS, 3):
        raise CommandError(f"targets have shape {array.shape}, expected (B, {N_LANDMARKS}, 3)")
    if not np.isfinite(array).all():
        raise CommandError("targets hold NaN or infinite landmark coordinates")
    return array


def check_target(target: np.ndarray) -> np.ndarray:
    """One target (478, 3) as float32, or CommandError naming what is wrong."""
    array = np.asarray(target, dtype=np.float32)
    if array.shape != (N_LANDMARKS, 3):
        raise CommandError(f"target has shape {array.shape}, expected ({N_LANDMARKS}, 3)")
    if not np.isfinite(array).all():
        raise CommandError("target holds NaN or infinite landmark coordinates")
    return array


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one thread while a policy computes: its products are small, and splitting them
    over cores that other work is using costs far more in waiting than it gains (measured 4-10x
    slower on a busy two-core machine)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _face_model(spec_or_face):
    """A FaceModel for a FaceModel, a FaceSpec of a bundled face, a face name/folder/yaml or None."""
    from facetwin.sim.rig import FaceModel, load_face

    if isinstance(spec_or_face, FaceModel):
        return spec_or_face
    if isinstance(spec_or_face, FaceSpec):
        model = load_face(spec_or_face.name)
        if model.spec.digest != spec_or_face.digest:
            raise ConfigError(f"face {spec_or_face.name!r}: the bundled model (spec {model.spec.digest}) is not the "
                              f"face asked for (spec {spec_or_face.digest}); pass its FaceModel or folder")
        return model
    return load_face(spec_or_face)


def _spec(spec_or_face) -> FaceSpec:
    if isinstance(spec_or_face, FaceSpec):
        return spec_or_face
    spec = getattr(spec_or_face, "spec", None)
    return spec if isinstance(spec, FaceSpec) else _face_model(spec_or_face).spec


def default_model_path(spec: FaceSpec, kind: str = "inverse") -> Path:
    """Where a face keeps its shipped self-model of `kind` (inverse or forward, the one the inverse
    was trained through): assets/faces/<name>/policies/<kind>.pt."""
    from facetwin.faces import faces_root

    return faces_root() / spec.name / "policies" / f"{kind}.pt"


def load_selfmodel(spec: FaceSpec, kind: str = "inverse", model: str | Path | SelfModel | None = None) -> SelfModel:
    """The self-model of `kind` for the face: `model` (a file, or a SelfModel already loaded), else
    the one the face ships; ConfigError when the face ships none or the file is another face's."""
    from facetwin.agents.selfmodel.models import SelfModel

    if model is None:
        model = default_model_path(spec, kind)
        if not model.is_file():
            raise ConfigError(f"face {spec.name!r} ships no {kind} model ({model}); train one with "
                              f"`facetwin train {kind}` and pass it as the model")
    return model if isinstance(model, SelfModel) else SelfModel.load(model, spec, kind=kind)


def make_policy(name: str, spec_or_face=None, *, model=None, data=None, seed: int | None = None) -> Policy:
    """The policy `name` for a face (FaceSpec, FaceModel, face name/folder, or None for the default).

    `model`: an inverse model file or loaded SelfModel ("inverse"); `data`: a babbling dataset
    folder ("nn"); `seed`: the random policy's and the oracle's restarts' seed. Options a policy
    does not use are ignored, so one call site can build every policy.
    """
    if name == "neutral":
        from facetwin.agents.policies.baselines import NeutralPolicy

        return NeutralPolicy(_spec(spec_or_face))
    if name == "random":
        from facetwin.agents.policies.baselines import RandomPolicy

        return RandomPolicy(_spec(spec_or_face), seed=seed)
    if name == "nn":
        from facetwin.agents.policies.baselines import NearestNeighbourPolicy

        if data is None:
            raise ConfigError("the nn policy needs babbling data: give a dataset folder (facetwin babble --out DIR)")
        return NearestNeighbourPolicy.from_dataset(_spec(spec_or_face), data)
    if name == "inverse":
        from facetwin.agents.policies.inverse import InversePolicy

        spec = _spec(spec_or_face)
        return InversePolicy(load_selfmodel(spec, "inverse", model), spec)
    if name == "oracle":
        from facetwin.agents.policies.oracle import OraclePolicy

        return OraclePolicy(_face_model(spec_or_face), seed=0 if seed is None else seed)
    if name == "rl":
        from facetwin.agents.rl.policy import RLPolicy

        if model is None:
            raise ConfigError("the rl policy needs a saved policy: pass the .zip from `facetwin train rl` as the model")
        return RLPolicy(_spec(spec_or_face), model)
    raise ConfigError(f"unknown policy {name!r}; choose one of {', '.join(POLICY_NAMES)}")
