"""The head around the face: rings grown out of the skin's outer rim, back to the ears and up
into the hair.

MediaPipe's mesh ends at the face oval. Rendered alone it is a mask against the background, and
the FaceLandmarker, trained on heads, reads a mask's outline and brows wrongly (on the bare mask
mira's neutral read as raised brows). Real animatronic faces sit on a head shell; so does the
twin. The shell is not simulated: its first ring follows the rim as the jaw moves it, the outer
rings less and less, so an open jaw stretches it without a seam.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from facetwin.sim.rig import FaceModel

OUTWARD_MM = np.array([3.0, 8.0, 13.0, 17.0, 19.0, 18.0, 13.0])
"""How far each ring lies beyond the rim, in the face's plane, at the sides and the chin."""
BACK_MM = np.array([1.5, 5.0, 12.0, 24.0, 42.0, 65.0, 95.0])
"""How far each ring lies behind the rim."""
CROWN_GAIN = 1.8
"""Above the brows the head rises further than it widens: rings reach 1 + this times as far up."""
FOLLOW = np.linspace(0.85, 0.0, len(OUTWARD_MM))
"""The share of the rim's motion each ring follows."""
HAIRLINE_MM = 2.0
"""Hair starts this far above the forehead's top landmark (MediaPipe's 10)."""
CENTRE_Y_MM = -30.0
"""The rings grow away from this height on the midline (about the nose)."""


def rim_loop(faces: np.ndarray) -> np.ndarray:
    """The mesh's longest boundary loop (the face oval; the others are the eyes and the mouth), in order."""
    use = Counter(tuple(sorted(edge)) for tri in faces for edge in ((tri[0], tri[1]), (tri[1], tri[2]),
                                                                      (tri[2], tri[0])))
    neighbours: dict[int, list[int]] = defaultdict(list)
    for (a, b), count in use.items():
        if count == 1:
            neighbours[a].append(b)
            neighbours[b].append(a)
    loops, seen = [], set()
    for start in neighbours:
        if start in seen:
            continue
        loop, previous, current = [start], None, start
        seen.add(start)
        while True:
            step = [n for n in neighbours[current] if n != previous and n not in seen]
            if not step:
                break
            previous, current = current, step[0]
            loop.append(current)
            seen.add(current)
        loops.append(loop)
    return np.array(max(loops, key=len))


class HeadShell:
    """Vertices, triangles and colours of the shell for a face; `positions` places it for a skin pose."""

    def __init__(self, model: FaceModel, skin_rgb: np.ndarray):
        neutral = model.mesh.vertices
        self.rim = rim_loop(model.mesh.faces)
        self._rim_neutral = neutral[self.rim]
        away = self._rim_neutral[:, :2] - np.array([0.0, CENTRE_Y_MM])
        away /= np.linalg.norm(away, axis=1, keepdims=True)
        up = np.clip(away[:, 1], 0.0, 1.0)
        reach = 1.0 + CROWN_GAIN * up**2
        n, rings = len(self.rim), len(OUTWARD_MM)
        offsets = np.zeros((rings, n, 3))
        offsets[:, :, :2] = OUTWARD_MM[:, None, None] * (reach[:, None] * away)[None]
        offsets[:, :, 2] = -BACK_MM[:, None] * (1.0 + 0.3 * up)[None]
        self._offsets = offsets
        ring = np.arange(rings)[:, None] * n
        i = np.arange(n)[None]
        j = (i + 1) % n
        quads = np.stack([ring + i, ring + n + i, ring + j, ring + j, ring + n + i, ring + n + j], axis=-1)
        self.faces = quads.reshape(-1, 3).astype(np.uint32)
        rest = self.positions(neutral)
        centroids = rest[self.faces].mean(1)
        tri = rest[self.faces]
        normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        if (normals * (centroids - np.array([0.0, CENTRE_Y_MM, -80.0]))).sum() < 0:
            self.faces = np.ascontiguousarray(self.faces[:, ::-1])
        self.colors = self._paint(rest, model, np.broadcast_to(skin_rgb, (len(rest), 3)))

    def _paint(self, rest: np.ndarray, model: FaceModel, skin: np.ndarray) -> np.ndarray:
        """Skin, hair above the hairline and behind the ears, and the shadow under the jaw."""
        landmarks = model.neutral_landmarks
        y, z = rest[:, 1], rest[:, 2]
        hair = np.clip((y - landmarks[10, 1] - HAIRLINE_MM) / 6.0, 0.0, 1.0)
        hair = np.maximum(hair, np.clip((-z - 60.0) / 20.0, 0.0, 1.0) * (y > landmarks[234, 1]))
        rgb = skin * (1.0 - hair[:, None]) + np.asarray(model.config.appearance.hair) * hair[:, None]
        under_jaw = np.clip((landmarks[152, 1] + 20.0 - y) / 25.0, 0.0, 1.0) * (1.0 - hair)
        rgb = rgb * (1.0 - 0.45 * under_jaw[:, None])
        return (np.concatenate([rgb, np.ones((len(rgb), 1))], axis=1) * 255).astype(np.uint8)

    def positions(self, vertices: np.ndarray) -> np.ndarray:
        """The shell's vertices (rim first, then ring by ring) for skin `vertices` (face frame, mm)."""
        rim = vertices[self.rim]
        rings = self._rim_neutral[None] + self._offsets + FOLLOW[:, None, None] * (rim - self._rim_neutral)[None]
        return np.concatenate([rim, rings.reshape(-1, 3)]).astype(np.float32)
