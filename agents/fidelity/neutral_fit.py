"""Fit a face's rest geometry to what an independent reader of faces sees in it.

Two corrections, both to skin.obj, both reproducible from the face folder alone:

- **Seen where it is.** MediaPipe's FaceLandmarker reads a rendered face's landmarks a few
  millimetres from where the mesh puts them (on the bare mira, 2.2 mm, most of it on the face
  oval). Each round renders the rest face, reads it, and moves every skin vertex part of the way
  to where it was read (the texture moves with it), mirrored so the face stays symmetric, until
  the camera reads the face where it is. Then what the geometry reads as is what a viewer of the
  render reads.
- **Read as neutral.** A face at rest must read as no expression: the rest pose is moved, by the
  face's own actuators (each mirror pair by one amount, a little of each travel), to where the
  blendshape model reads the least expression, and that pose becomes the new rest geometry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from facetwin.agents.fidelity.counterparts import is_gaze
from facetwin.agents.fidelity.measure import action_groups
from facetwin.face_config import load_face_config
from facetwin.mesh_io import obj_header, read_obj, write_obj
from facetwin.perception.blendshape_reader import NAMES, BlendshapeReader
from facetwin.perception.detector import blendshape_landmarker
from facetwin.perception.face_landmarker import TaskLandmarkerDetector
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import load_face
from facetwin.sim.sim_face import SimFace

SKIN_VERTICES = 468
"""The iris points (468-477) stay: the eyeballs, not the skin, place them."""
EXPRESSIVE = np.array([not is_gaze(name) and name != "_neutral" for name in NAMES])
REST_TRAVEL = 0.4
"""How much of each actuator's travel (in commands, whose span is 2) the rest pose may take."""


@dataclass
class FitRound:
    """One round of the fit: how far the camera read the rest face from its mesh, and the
    strongest expression read on the render."""

    read_error_mm: float
    strongest: str
    strongest_score: float


def _rest_reading(face: Path, detector: TaskLandmarkerDetector, size: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """The rest face's true landmarks, where the camera reads them (face frame, mm) and its blendshapes."""
    with SimFace(face, render=True, width=size, height=size) as twin:
        observation = twin.reset()
        detection = detector.detect(twin.render())
        if detection.landmarks is None:
            raise RuntimeError(f"{face}: the landmarker finds no face in the rest render")
        true = np.asarray(observation.landmarks, dtype=np.float64)
        seen = twin.camera.unproject(detection.landmarks[:, :2].astype(np.float64) * size, true)
    return true, seen, detection.blendshapes


def _strongest(scores: dict) -> tuple[str, float]:
    return max(((k, v) for k, v in scores.items() if k != "_neutral" and not is_gaze(k)), key=lambda kv: kv[1])


def _rewrite(face: Path, vertices: np.ndarray) -> None:
    mesh = load_face_config(face / "face.yaml").skin.mesh
    _, faces, uv = read_obj(mesh)
    write_obj(mesh, vertices, faces, obj_header(mesh), uv)


def _symmetric(vertices: np.ndarray, mirror: np.ndarray) -> np.ndarray:
    out = 0.5 * (vertices + vertices[mirror] * np.array([-1.0, 1.0, 1.0]))
    out[mirror == np.arange(len(mirror)), 0] = 0.0
    return out


def seen_where_it_is(face: Path, rounds: int = 5, rate: float = 0.7, size: int = 512) -> list[FitRound]:
    """Move the skin towards where the camera reads it, `rounds` times; returns each round's reading
    (one more than `rounds`: the last is of the final face)."""
    mirror = np.asarray(load_face_config(face / "face.yaml").landmark_mirror)
    history = []
    with TaskLandmarkerDetector(blendshape_landmarker(), video=False) as detector:
        for k in range(rounds + 1):
            true, seen, scores = _rest_reading(face, detector, size)
            error = float(np.linalg.norm((seen - true)[:SKIN_VERTICES], axis=1).mean())
            history.append(FitRound(error, *_strongest(scores)))
            if k == rounds:
                break
            vertices = read_obj(load_face_config(face / "face.yaml").skin.mesh).vertices
            vertices[:SKIN_VERTICES] += rate * (seen - true)[:SKIN_VERTICES]
            _rewrite(face, _symmetric(vertices, mirror))
    return history


def read_as_neutral(face: Path) -> dict[str, float]:
    """Move the rest pose by the face's own actuators to where it reads as no expression, and make
    that the rest geometry; returns the rest offset of each action (in commands)."""
    model = load_face(face)
    spec, skin = model.spec, FastSkin(model)
    reader = BlendshapeReader(blendshape_landmarker())
    groups = action_groups(model)
    rest = spec.neutral_command.astype(np.float64)
    low = np.array([max(-REST_TRAVEL, -1.0 - rest[g.indices[0]]) for g in groups])
    high = np.array([min(REST_TRAVEL, 1.0 - rest[g.indices[0]]) for g in groups])

    def command(offsets: np.ndarray) -> np.ndarray:
        out = rest.copy()
        for group, value in zip(groups, np.clip(offsets, low, high)):
            out[list(group.indices)] += value
        return out

    def expression(offsets: np.ndarray) -> float:
        landmarks = skin.landmarks(spec.command_to_position(command(offsets)))
        scores = reader.read_face(landmarks)[EXPRESSIVE]
        # The strongest expression, softly (so every strong one is pushed down), and a little travel.
        return float(np.log(np.exp(12.0 * scores).sum()) / 12.0 + 0.05 * np.abs(offsets).sum())

    best = minimize(expression, np.zeros(len(groups)), method="Powell",
                    bounds=list(zip(low, high)), options={"xtol": 1e-3, "ftol": 1e-4, "maxfev": 3000}).x
    landmarks = skin.landmarks(spec.command_to_position(command(best))).astype(np.float64)
    vertices = read_obj(model.config.skin.mesh).vertices
    vertices[:SKIN_VERTICES] = landmarks[:SKIN_VERTICES]
    _rewrite(face, _symmetric(vertices, np.asarray(model.config.landmark_mirror)))
    return {group.name: round(float(value), 4) for group, value in zip(groups, best)}


SCHEDULE = ("seen", "neutral", "seen", "neutral", "seen")
"""The fit alternates: read where the camera sees the face, then move it to read as neutral."""
SEEN_ROUNDS = 3


def least_expression() -> Callable[[np.ndarray], np.ndarray]:
    """Per frame (F, 478, 2 image pixels), the strongest expression the blendshape model reads
    (gaze aside): how the build picks the frames a neutral face is made of."""
    reader = BlendshapeReader(blendshape_landmarker())
    return lambda pixels: reader.read(pixels)[..., EXPRESSIVE].max(axis=-1)


def fit_rest(face: Path) -> Iterator[str]:
    """Run the whole fit on a face folder, saying what each step did."""
    for step in SCHEDULE:
        if step == "seen":
            rounds = seen_where_it_is(face, rounds=SEEN_ROUNDS)
            first, last = rounds[0], rounds[-1]
            yield (f"rest face read {first.read_error_mm:.2f} -> {last.read_error_mm:.2f} mm from its mesh; "
                   f"strongest expression {last.strongest} {last.strongest_score:.2f}")
        else:
            offsets = {name: value for name, value in read_as_neutral(face).items() if abs(value) > 0.01}
            yield "rest pose moved by " + (", ".join(f"{k} {v:+.2f}" for k, v in offsets.items()) or "nothing")
