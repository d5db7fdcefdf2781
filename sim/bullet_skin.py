"""The physics skin: the face's skin mesh as a pybullet soft body, glued to the skull and pulled by its anchors.

The base mesh (MediaPipe's 468 triangulated points, so every landmark is a node) becomes a
mass-spring soft body in pybullet's deformable world. Springs run along every edge (`stretch`)
and between nodes two edges apart (`bending`), with damping on each; pybullet integrates the
spring forces explicitly and their damping implicitly, which is why face.yaml's parameters are
checked for stability on load (`SkinPhysicsConfig.stability_problem`). Gravity is off, as in the
fast skin. The skull-glued nodes are pinned to the world; with `foundation_mm`, every skin node
also hangs from a pinned tissue node under it, which keeps the sheet out of buckles. Every other
anchor node is attached to a heavy driver body that collides with nothing: anchors that always
move alike (a whole pull group, or a mirrored pair on the chin) share one body, the others get
one each. Driver bodies only translate (pybullet 3.2.7 lets anchors on a turning body drift), so
the jaw turns its anchors by moving each along its own arc. The anchor targets are the fast
skin's own anchor motions (`FaceModel.features`), so both skins are pulled by exactly the same
hands.

Sync with the servos: each control period, every driver body gets the constant velocity that
carries it from where the previous period left it to where the servo model's linkage positions
put it at the end of this period, and the physics takes `substeps` steps (8 at 30 Hz: 240 Hz).
Anchors follow the servo trajectory sampled once per period and interpolated linearly within it.
Eyes and neck stay rigid motions, as in the fast skin.

A soft body that diverges (a node not finite, or farther from rest than `diverged_mm`) raises
BackendError instead of being rendered. A pybullet client cannot be pickled: pickling raises a
BackendError that says to build the skin in the process that uses it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.errors import BackendError
from facetwin.face_config import SkinPhysicsConfig
from facetwin.sim.kinematics import place_irises
from facetwin.sim.mesh import SkinMesh, fill_midpoints, triangle_edges
from facetwin.sim.rig import FaceModel
from facetwin.spec import N_LANDMARKS

MODEL_VERSION = "bullet-skin-3"
"""Changes whenever the same face.yaml builds a different soft body (2: the skin hangs from its tissue
by fins instead of lying on a second sheet; 3: each fin reaches the nearest neighbour, mirror-symmetric),
so skin fits made from an older one are refused as stale."""
MM = 1e-3
"""pybullet works in metres, kilograms and seconds; the face is in millimetres."""
DRIVER_MASS_KG = 1e6
DRIVER_RADIUS_M = 0.05
"""Driver bodies are this heavy and wide (a 5 cm sphere that collides with nothing) so the skin
pulling back on them cannot move or turn them measurably: anchors stay within 1e-4 mm of target."""


def inward_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Unit vertex normals (area-weighted) pointing into the head: the face frame's z points out
    of the face, towards the viewer."""
    normals = np.zeros_like(vertices)
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    face_normals = np.cross(b - a, c - a)
    for corner in range(3):
        np.add.at(normals, faces[:, corner], face_normals)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return -normals if normals[:, 2].mean() > 0 else normals


@dataclass(frozen=True)
class DriverGroup:
    """Driven anchors (indices into `BulletSkin.driven`) that always move alike, so one
    translating driver body carries them all."""

    nodes: np.ndarray


class BulletSkin:
    """Landmarks and skin vertices from a pybullet soft body that the servos drive through time.

    Unlike the fast skin it has state: `advance(start, end)` simulates one control period while
    the actuators move from `start` to `end` (positions in their units), and `landmarks` /
    `vertices` report the skin as it is now (the positions passed only turn the eyes).
    """

    def __init__(self, model: FaceModel, physics: SkinPhysicsConfig | None = None):
        import pybullet

        self._p = pybullet
        self.model = model
        self.physics = physics if physics is not None else model.config.skin.physics
        self.period = model.spec.control_period
        self.dt = self.period / self.physics.substeps
        base = SkinMesh.from_obj(model.config.skin.mesh)
        self.rest = base.vertices[:N_LANDMARKS].astype(np.float64)
        # Only triangulated vertices become nodes (the iris points belong to no triangle and are
        # placed by the eyes); pybullet keeps the order of the vertices it is given.
        self.nodes = np.unique(base.faces)
        slot = np.full(N_LANDMARKS, -1, dtype=np.int64)
        slot[self.nodes] = np.arange(len(self.nodes))
        self._slot = slot
        self._faces = slot[base.faces]
        self._build_drive()
        self._client: int | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="facetwin-bullet-")
        self._mesh_path = Path(self._tmp.name) / "skin.obj"
        self._write_obj()
        self.time = 0.0
        self.reset()

    # -- construction ---------------------------------------------------------------------

    def _build_drive(self) -> None:
        """Which nodes are pinned, which are driven, and the driver groups."""
        model = self.model
        config = model.config
        n_features = model.n_features
        driven: dict[int, np.ndarray] = {}
        for f, feature in enumerate(model.features):
            for anchor, displacement in zip(feature.anchors, feature.displacement):
                if anchor < N_LANDMARKS and self._slot[anchor] >= 0:
                    driven.setdefault(int(anchor), np.zeros((n_features, 3)))[f] = displacement
        self.driven = np.array(sorted(driven), dtype=np.int64)
        # (features, driven, 3): the same anchor motions the fast skin prescribes.
        self.drive_modes = np.stack([driven[v] for v in self.driven], axis=1)
        glued = np.setdiff1d(np.asarray(config.skin.glued), self.driven)
        self.glued = glued[self._slot[glued] >= 0]

        # Anchors with identical motions share one body; a driver body only translates (pybullet
        # 3.2.7 loses track of anchors on a turned body), so each anchor the jaw turns has its own.
        groups: dict[bytes, list[int]] = {}
        for k in range(len(self.driven)):
            groups.setdefault(np.round(self.drive_modes[:, k], 9).tobytes(), []).append(k)
        self.groups = [DriverGroup(np.asarray(members, dtype=np.int64)) for members in groups.values()]
        self._lead = np.array([group.nodes[0] for group in self.groups])

    def _write_obj(self) -> None:
        """The soft body's mesh in metres: the skin's nodes, then (with a foundation) a node
        `foundation_mm` under each along the inward normal, pinned to the skull. Each skin node hangs
        from the node under it by a fin, one triangle (node, its `fin_partners` neighbour, the node
        under it): its springs run nearly along the normal, so the tissue holds the skin off the
        skull and out of buckles while leaving it almost free to slide along the surface."""
        skin = self.rest[self.nodes]
        faces = [self._faces]
        vertices = [skin]
        if self.physics.foundation_mm > 0:
            n = len(skin)
            vertices.append(skin + self.physics.foundation_mm * inward_normals(skin, self._faces))
            node = np.arange(n)
            faces.append(np.stack([node, self.fin_partners(), node + n], axis=1))
        with open(self._mesh_path, "w") as handle:
            for x, y, z in np.concatenate(vertices) * MM:
                handle.write(f"v {x:.9f} {y:.9f} {z:.9f}\n")
            for a, b, c in np.concatenate(faces) + 1:
                handle.write(f"f {a} {b} {c}\n")

    def fin_partners(self) -> np.ndarray:
        """For each node (slot), the neighbour its fin shares an edge with: pybullet builds its
        collision tree by joining triangles that share an edge, so a fin must share one with the
        skin. The nearest neighbour keeps the fin close to the normal; on a face with a
        `landmark_mirror`, a node's mirror image takes the mirror image of its partner and a node on
        the midline a partner on the midline where it has one, so the soft body is as symmetric as
        the face (a symmetric face whose skin is not settles differently for mirrored commands)."""
        edges = triangle_edges(self._faces)
        edges = np.unique(np.concatenate([edges, edges[:, ::-1]]), axis=0)
        length = np.round(np.linalg.norm(self.rest[self.nodes[edges[:, 0]]] - self.rest[self.nodes[edges[:, 1]]],
                                         axis=1), 6)
        mirror = self.model.config.landmark_mirror
        slot_mirror = self._slot[np.asarray(mirror)[self.nodes]] if mirror is not None else None
        partner = np.full(len(self.nodes), -1, dtype=np.int64)
        for a in range(len(self.nodes)):
            if partner[a] >= 0:
                continue
            mine = edges[:, 0] == a
            candidates, lengths = edges[mine, 1], length[mine]
            if slot_mirror is not None and slot_mirror[a] == a:
                on_midline = slot_mirror[candidates] == candidates
                if on_midline.any():
                    candidates, lengths = candidates[on_midline], lengths[on_midline]
            # nearest first, ties to the lowest landmark number; the mirror image of this node then
            # takes the mirror image of the choice, so a tie cannot break the symmetry
            partner[a] = candidates[np.lexsort((self.nodes[candidates], lengths))[0]]
            if slot_mirror is not None and slot_mirror[a] != a:
                partner[slot_mirror[a]] = slot_mirror[partner[a]]
        return partner

    def reset(self) -> None:
        """A fresh world with the skin at rest and every anchor at the rest pose."""
        if getattr(self, "_fresh", False):
            return
        p = self._p
        if self._client is None:
            self._client = p.connect(p.DIRECT)
        cid = self._client
        p.resetSimulation(p.RESET_USE_DEFORMABLE_WORLD, physicsClientId=cid)
        p.setGravity(0.0, 0.0, 0.0, physicsClientId=cid)
        p.setPhysicsEngineParameter(fixedTimeStep=self.dt, physicsClientId=cid)
        phys = self.physics
        self._body = p.loadSoftBody(
            str(self._mesh_path), mass=phys.mass_g * 1e-3, useMassSpring=1, useBendingSprings=int(phys.bending > 0),
            springElasticStiffness=phys.stretch, springBendingStiffness=phys.bending,
            springDampingStiffness=phys.damping, springDampingAllDirections=1, useSelfCollision=0, useFaceContact=0,
            collisionMargin=1e-4, frictionCoeff=0.0, physicsClientId=cid,
        )
        if self._body < 0:
            raise BackendError(f"pybullet could not load the skin mesh {self._mesh_path}")
        # A skin left still for two seconds would otherwise fall asleep and ignore its anchors.
        p.changeDynamics(self._body, -1, activationState=p.ACTIVATION_STATE_DISABLE_SLEEPING, physicsClientId=cid)
        for vertex in self.glued:
            p.createSoftBodyAnchor(self._body, int(self._slot[vertex]), -1, -1, physicsClientId=cid)
        if self.physics.foundation_mm > 0:  # the tissue is fixed to the skull
            for node in range(len(self.nodes), 2 * len(self.nodes)):
                p.createSoftBodyAnchor(self._body, node, -1, -1, physicsClientId=cid)
        shape = p.createCollisionShape(p.GEOM_SPHERE, radius=DRIVER_RADIUS_M, physicsClientId=cid)
        self._drivers = []
        for group in self.groups:
            origin = self.rest[self.driven[group.nodes[0]]]
            body = p.createMultiBody(baseMass=DRIVER_MASS_KG, baseCollisionShapeIndex=shape,
                                     basePosition=(origin * MM).tolist(), useMaximalCoordinates=True,
                                     physicsClientId=cid)
            p.setCollisionFilterGroupMask(body, -1, 0, 0, physicsClientId=cid)
            p.changeDynamics(body, -1, linearDamping=0.0, angularDamping=0.0,
                             activationState=p.ACTIVATION_STATE_DISABLE_SLEEPING, physicsClientId=cid)
            for k in group.nodes:
                local = (self.rest[self.driven[k]] - origin) * MM
                p.createSoftBodyAnchor(self._body, int(self._slot[self.driven[k]]), body, -1, local.tolist(),
                                       physicsClientId=cid)
            self._drivers.append(body)
        self.time = 0.0
        self._drive = self.rest[self.driven[self._lead]]
        self._positions = np.zeros(self.model.spec.n_actuators)
        self._read()
        neutral = self.model.spec.command_to_position(self.model.spec.neutral_command)
        if np.abs(self.model.feature_values(neutral)).max() > 1e-6:
            self.settle(neutral)
        self._fresh = True

    # -- driving ----------------------------------------------------------------------------

    def anchor_targets(self, positions: np.ndarray) -> np.ndarray:
        """Where each driven node belongs (mm) for actuator positions: the fast skin's anchor motion."""
        values = self.model.feature_values(np.asarray(positions, dtype=np.float64))
        # einsum, not tensordot: this small product through OpenBLAS woke its worker threads, which
        # then spun on the other core between calls and halved the steps per CPU-second.
        return self.rest[self.driven] + np.einsum("f,fkd->kd", values, self.drive_modes)

    def advance(self, start: np.ndarray, end: np.ndarray) -> None:
        """Simulate one control period while the actuators move from `start` to `end` (positions);
        the drivers move from where the previous period left them, so `start` only documents the call."""
        del start
        p, cid = self._p, self._client
        if cid is None:
            raise BackendError("this bullet skin is closed")
        drive = self.anchor_targets(np.asarray(end, dtype=np.float64))[self._lead]
        velocity = (drive - self._drive) * (MM / self.period)
        for body, v in zip(self._drivers, velocity.tolist()):
            p.resetBaseVelocity(body, v, (0.0, 0.0, 0.0), physicsClientId=cid)
        self._fresh = False
        for _ in range(self.physics.substeps):
            p.stepSimulation(physicsClientId=cid)
        self._drive = drive
        self._positions = np.asarray(end, dtype=np.float64).copy()
        self.time += self.period
        self._read()

    def settle(self, positions: np.ndarray, tolerance_mm: float = 1e-3, max_seconds: float = 5.0,
               speed_mm_s: float = 100.0) -> float:
        """Move the anchors to `positions` no faster than `speed_mm_s` (as a servo would), then hold
        them until no node moves more than `tolerance_mm` per control period for three periods in a
        row; returns the simulated seconds it took."""
        positions = np.asarray(positions, dtype=np.float64)
        start_time = self.time
        origin = self._positions.copy()
        travel = np.abs(self.anchor_targets(positions) - self.anchor_targets(origin)).max()
        ramp = max(1, int(np.ceil(travel / (speed_mm_s * self.period))))
        for k in range(1, ramp + 1):
            self.advance(self._positions, origin + (positions - origin) * (k / ramp))
        previous, still = self.positions_mm.copy(), 0
        while still < 3 and self.time - start_time < max_seconds:
            self.advance(positions, positions)
            still = still + 1 if np.abs(self.positions_mm - previous).max() < tolerance_mm else 0
            previous = self.positions_mm.copy()
        return self.time - start_time

    def _read(self) -> None:
        _, vertices = self._p.getMeshData(self._body, -1, flags=self._p.MESH_DATA_SIMULATION_MESH,
                                          physicsClientId=self._client)
        nodes = np.asarray(vertices, dtype=np.float64) / MM
        expected = len(self.nodes) * self.physics.layers
        if nodes.shape != (expected, 3):
            raise BackendError(f"the bullet skin returned {nodes.shape[0]} nodes, expected {expected}")
        nodes = nodes[: len(self.nodes)]  # the tissue nodes are pinned
        self._check(nodes)
        self.positions_mm = nodes

    def _check(self, nodes: np.ndarray) -> None:
        """Raise BackendError when the soft body has diverged; a diverged skin is never reported."""
        finite = np.isfinite(nodes).all(axis=1)
        if not finite.all():
            node = int(self.nodes[np.flatnonzero(~finite)[0]])
            raise BackendError(f"the bullet skin diverged at t = {self.time:.3f} s: vertex {node} is not finite")
        distance = np.linalg.norm(nodes - self.rest[self.nodes], axis=1)
        worst = int(np.argmax(distance))
        if distance[worst] > self.physics.diverged_mm:
            raise BackendError(
                f"the bullet skin diverged at t = {self.time:.3f} s: vertex {int(self.nodes[worst])} is "
                f"{distance[worst]:.0f} mm from rest (limit skin.physics.diverged_mm = {self.physics.diverged_mm:g})"
            )

    # -- observation ------------------------------------------------------------------------

    def landmarks(self, positions: np.ndarray) -> np.ndarray:
        """(478, 3) float32 landmarks in the face frame: the skin as it is now, irises turned by the eyes."""
        out = self.rest.copy()
        out[self.nodes] = self.positions_mm
        place_irises(self.model, out, np.asarray(positions, dtype=np.float64))
        return out.astype(np.float32)

    def vertices(self, positions: np.ndarray) -> np.ndarray:
        """Every vertex of the refined render mesh (V, 3): refinement vertices at the midpoints of
        the nodes they split, as the refinement built them."""
        out = np.empty((self.model.mesh.n_vertices, 3))
        out[:N_LANDMARKS] = self.landmarks(positions)
        return fill_midpoints(self.model.mesh, out)

    # -- lifetime ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._client is not None:
            self._p.disconnect(physicsClientId=self._client)
            self._client = None
        self._tmp.cleanup()

    def __getstate__(self):
        raise BackendError("the bullet skin holds a pybullet client and cannot be pickled; "
                           "create the SimFace(skin='bullet') in the process that steps it")
