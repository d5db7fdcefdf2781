"""Rigid motions of the face: the eyes turning in their sockets and the head on its neck."""

from __future__ import annotations

import numpy as np

from facetwin.sim.rig import FaceModel, RigidJoint


def axis_rotation(axis: np.ndarray, degrees) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about a unit axis by angles (...) in degrees (Rodrigues)."""
    angle = np.deg2rad(np.asarray(degrees, dtype=np.float64))[..., None, None]
    x, y, z = axis
    cross = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + np.sin(angle) * cross + (1.0 - np.cos(angle)) * (cross @ cross)


def _chain(joints: list[RigidJoint], positions: np.ndarray) -> np.ndarray:
    positions = np.asarray(positions)
    rotation = np.broadcast_to(np.eye(3), (*positions.shape[:-1], 3, 3))
    for joint in joints:
        rotation = rotation @ axis_rotation(joint.axis, positions[..., joint.actuator])
    return rotation


def eye_rotation(model: FaceModel, positions: np.ndarray) -> np.ndarray:
    """(..., 3, 3): both eyes turn together (one yaw and one pitch mechanism, as on most faces)."""
    return _chain(model.eye_joints, positions)


def head_pose(model: FaceModel, positions: np.ndarray) -> np.ndarray:
    """4x4 transform from the face frame to the world for one face: the neck joints about their pivot."""
    pose = np.eye(4)
    if not model.neck_joints:
        return pose
    rotation = _chain(model.neck_joints, positions)
    pivot = model.neck_joints[0].pivot
    pose[:3, :3] = rotation
    pose[:3, 3] = pivot - rotation @ pivot
    return pose


def place_irises(model: FaceModel, out: np.ndarray, positions: np.ndarray) -> None:
    """Turn the irises of `out` (..., V, 3) rigidly about the eye centres by the eye actuators:
    the irises ride the eyeballs, not the skin, whichever skin model moved the rest."""
    if not model.eye_joints:
        return
    rotation = eye_rotation(model, positions)
    for centre, iris in zip(model.eye_centers, model.iris):
        rest = model.mesh.vertices[iris] - centre
        out[..., iris, :] = (centre + np.einsum("...ij,kj->...ki", rotation, rest)).astype(out.dtype)
