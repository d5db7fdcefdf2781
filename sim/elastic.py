"""The skin's quasi-static elastic response, solved on the mesh with scipy.sparse.

The skin is a thin sheet with membrane (stretch) and bending stiffness: energy
u^T (k_m L + k_b L M^-1 L) u for the cotangent Laplacian L and lumped mass M. With the
skull-glued vertices and the actuator anchors prescribed, the free vertices settle where the
energy is least: K_ff u_f = -K_fc u_c. One sparse factorisation serves every actuator mode.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu


def cotangent_laplacian(vertices: np.ndarray, faces: np.ndarray) -> sp.csr_matrix:
    """Positive semi-definite cotangent Laplacian (weights clamped at zero for obtuse triangles)."""
    n = len(vertices)
    rows, cols, vals = [], [], []
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        a, b, c = faces[:, i], faces[:, j], faces[:, k]
        u = vertices[a] - vertices[c]
        v = vertices[b] - vertices[c]
        cot = (u * v).sum(1) / np.maximum(np.linalg.norm(np.cross(u, v), axis=1), 1e-12)
        w = np.maximum(0.5 * cot, 0.0)
        rows += [a, b]
        cols += [b, a]
        vals += [w, w]
    weights = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsr()
    return (sp.diags(np.asarray(weights.sum(1)).ravel()) - weights).tocsr()


def lumped_mass(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """A third of each adjacent triangle's area per vertex (a floor keeps isolated vertices regular)."""
    area = 0.5 * np.linalg.norm(
        np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]]), axis=1
    )
    mass = np.zeros(len(vertices))
    np.add.at(mass, faces.ravel(), np.repeat(area / 3.0, 3))
    return np.maximum(mass, 1e-6 * max(mass.max(), 1.0))


def stiffness(vertices: np.ndarray, faces: np.ndarray, membrane: float, bending: float) -> sp.csr_matrix:
    lap = cotangent_laplacian(vertices, faces)
    inv_mass = sp.diags(1.0 / lumped_mass(vertices, faces))
    return (membrane * lap + bending * (lap @ inv_mass @ lap)).tocsr()


def solve_responses(stiffness_matrix: sp.csr_matrix, constrained: np.ndarray, prescribed: np.ndarray) -> np.ndarray:
    """Displacements of every vertex for each column of prescribed constrained motions.

    `prescribed` is (n_constrained, m): column j holds the motion of the constrained vertices
    in case j (one coordinate axis of one actuator mode). Returns (n_vertices, m).
    """
    n = stiffness_matrix.shape[0]
    is_free = np.ones(n, dtype=bool)
    is_free[constrained] = False
    free = np.flatnonzero(is_free)
    k_ff = stiffness_matrix[free][:, free].tocsc()
    k_fc = stiffness_matrix[free][:, constrained]
    # Vertices that touch no triangle (iris points) have no stiffness; they are driven rigidly elsewhere.
    k_ff = k_ff + sp.identity(len(free), format="csc") * 1e-9
    out = np.zeros((n, prescribed.shape[1]))
    out[constrained] = prescribed
    out[free] = splu(k_ff).solve(-(k_fc @ prescribed))
    return out
