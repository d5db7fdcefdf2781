"""A face model loaded for simulation: validated config, refined skin and the actuator rig as arrays.

The rig turns each skin actuator into one or two *features* whose effect on the skin is linear:
a pull actuator's travel in mm, and for a skin rotation (the jaw) sin(angle) and 1 - cos(angle)
(Rodrigues' formula makes a rigid rotation of the anchors exactly linear in these two). The fast
skin precomputes one elastic response per feature; the physics skin uses the same anchor motions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from facetwin.face_config import FaceConfig, load_face_config
from facetwin.face_yaml import face_files
from facetwin.faces import resolve_face
from facetwin.sim.mesh import SkinMesh, inherit_by_refinement, subdivide
from facetwin.spec import N_LANDMARKS, FaceSpec


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


@dataclass(frozen=True)
class SkinFeature:
    """One linear mode of the skin: `displacement[k]` is how far anchor `anchors[k]` moves per unit
    of the feature's value, which is the actuator's travel (`mode` "travel") or sin / 1 - cos of
    its angle ("sin", "versin")."""

    actuator: int
    mode: str
    anchors: np.ndarray
    displacement: np.ndarray


@dataclass(frozen=True)
class RigidJoint:
    """An actuator that turns something rigidly (eyes, head) about `axis` through `pivot`."""

    actuator: int
    axis: np.ndarray
    pivot: np.ndarray | None


class FaceModel:
    """Everything the twin needs to simulate one face, derived once from its folder."""

    def __init__(self, config_path: Path, config: FaceConfig):
        self.path = config_path
        self.config = config
        self.spec: FaceSpec = config.to_spec()
        base = SkinMesh.from_obj(config.skin.mesh)
        self.mesh: SkinMesh = subdivide(base, config.skin.subdivisions)
        self.neutral_landmarks = self.mesh.vertices[:N_LANDMARKS].astype(np.float32)
        self.features: list[SkinFeature] = []
        self.eye_joints: list[RigidJoint] = []
        self.neck_joints: list[RigidJoint] = []
        for index, actuator in enumerate(config.actuators):
            anchors = np.asarray(actuator.anchors, dtype=np.int64)
            weights = np.ones(len(anchors)) if actuator.weights is None else np.asarray(actuator.weights)
            if actuator.kind == "pull":
                if actuator.directions is not None:
                    directions = np.stack([_unit(d) for d in actuator.directions])
                else:
                    directions = np.tile(_unit(actuator.direction), (len(anchors), 1))
                self.features.append(SkinFeature(index, "travel", anchors, weights[:, None] * directions))
            elif actuator.target == "skin":
                axis = _unit(actuator.axis)
                rel = self.mesh.vertices[anchors] - np.asarray(actuator.pivot)
                sin_mode = np.cross(axis, rel)
                cos_mode = axis * (rel @ axis)[:, None] - rel
                self.features.append(SkinFeature(index, "sin", anchors, weights[:, None] * sin_mode))
                self.features.append(SkinFeature(index, "versin", anchors, weights[:, None] * cos_mode))
            else:
                pivot = None if actuator.pivot is None else np.asarray(actuator.pivot)
                joint = RigidJoint(index, _unit(actuator.axis), pivot)
                (self.eye_joints if actuator.target == "eyes" else self.neck_joints).append(joint)
        self.eye_centers = np.stack([np.asarray(config.eyes[s].center) for s in ("left", "right")])
        self.eye_radius = np.array([config.eyes[s].radius for s in ("left", "right")])
        self.iris = [np.asarray(config.eyes[s].iris) for s in ("left", "right")]

    @cached_property
    def glued(self) -> np.ndarray:
        """Skull-glued vertices; a refinement vertex between two glued vertices is glued too."""
        glued = np.zeros(N_LANDMARKS, dtype=bool)
        glued[self.config.skin.glued] = True
        return np.flatnonzero(inherit_by_refinement(self.mesh, glued))

    @cached_property
    def constrained(self) -> np.ndarray:
        """Vertices whose motion is prescribed: glued to the skull or held by an actuator."""
        anchors = [f.anchors for f in self.features]
        return np.unique(np.concatenate([self.glued, *anchors]))

    @cached_property
    def digest(self) -> str:
        """Hash of the face's files (its face.yaml, those it extends, mesh and fit): keys the
        fast-skin cache and the measured reach."""
        h = hashlib.sha256()
        for source in face_files(self.path):
            h.update(source.read_bytes())
        h.update(self.config.skin.mesh.read_bytes())
        fit = self.config.skin.fit
        if fit is not None and fit.is_file():
            h.update(fit.read_bytes())
        return h.hexdigest()[:16]

    @property
    def n_features(self) -> int:
        return len(self.features)

    def feature_values(self, positions: np.ndarray) -> np.ndarray:
        """Map actuator positions (..., A) in their units onto the skin features (..., F)."""
        values = positions[..., self.feature_actuator]
        angle = np.deg2rad(values)
        rotary = np.where(self.feature_is_sin, np.sin(angle), 1.0 - np.cos(angle))
        return np.where(self.feature_is_sin | self.feature_is_versin, rotary, values)

    @cached_property
    def feature_actuator(self) -> np.ndarray:
        return np.array([f.actuator for f in self.features], dtype=np.int64)

    @cached_property
    def feature_is_sin(self) -> np.ndarray:
        return np.array([f.mode == "sin" for f in self.features])

    @cached_property
    def feature_is_versin(self) -> np.ndarray:
        return np.array([f.mode == "versin" for f in self.features])


def load_face(face: str | Path | None = None) -> FaceModel:
    """Load a bundled face by name, or a face folder / face.yaml by path."""
    path = resolve_face(face)
    return FaceModel(path, load_face_config(path))
