"""A stand-in physical face: a face folder that differs from the twin as a built face would.

A builder's face never matches its drawing: anchors are glued a few millimetres off, pulls run at
another angle, linkages gear the horn up or down and sit off centre, the skin is stiffer or
softer, the servos are slower or quicker, and the camera is not where the twin's is. `make_reality`
draws each of those from fixed ranges (`RANGES`) with one seed and writes the result as an
ordinary face folder, so the emulated bench (`emulated:<bus>` with a reality) has a face that is
not the twin a policy was trained on, and a calibration has a gap to measure and close.

What was drawn is recorded in the folder's `reality.json`; only the emulator (the camera's
placement and light) and the scoring read it, never the calibration.

    facetwin reality make --from mira --seed 3 --out mira-s3
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facetwin.atomic import atomic_write
from facetwin.errors import ConfigError
from facetwin.face_config import FaceConfig, load_face_config
from facetwin.faces import resolve_face
from facetwin.mesh_io import read_obj
from facetwin.sim.face_folder import write_face_folder

RECORD = "reality.json"
"""The file in a stand-in's folder that records what was drawn."""

RANGES = {
    "anchor_mm": 3.0,
    "direction_deg": 15.0,
    "gain": (0.8, 1.25),
    "offset_of_travel": 0.10,
    "stiffness": (0.7, 1.4),
    "latency_ms": (0.0, 40.0),
    "lag": (0.6, 1.6),
    "speed": (0.7, 1.3),
    "backlash_deg": (0.0, 1.0),
    "camera_mm": 15.0,
    "camera_deg": 5.0,
    "light": 0.3,
}
"""The recipe's ranges: anchor shift per axis, pull direction turn, linkage gain (log-uniform) and
offset (of the actuator's travel), skin stiffness, servo latency, lag (time constant) and top speed
factors, backlash, camera shift per axis and turn, key light factor."""

SERVO_SWEEP_DEG = 180.0
"""A hobby servo's sweep over an actuator's whole travel: turns a backlash in degrees of horn into
actuator units."""

CAMERA_DISTANCE_MM = 400.0
"""The twin's camera distance (sim/camera.py); a camera turn is a shift of where it looks at this distance."""


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _turned(direction: np.ndarray, degrees: float, rng: np.random.Generator) -> np.ndarray:
    """`direction` turned by `degrees` about a random axis perpendicular to it."""
    unit = direction / np.linalg.norm(direction)
    axis = np.cross(unit, rng.normal(size=3))
    axis /= np.linalg.norm(axis)
    angle = np.deg2rad(degrees)
    turned = unit * np.cos(angle) + np.cross(axis, unit) * np.sin(angle)
    return turned * np.linalg.norm(direction)


def perturb(config: FaceConfig, vertices: np.ndarray, seed: int) -> tuple[dict, np.ndarray, dict]:
    """The face.yaml mapping and mesh vertices of the stand-in drawn with `seed`, and the record of
    every draw (per actuator and for the skin and camera)."""
    rng = np.random.default_rng(seed)
    raw = config.model_dump(mode="json")
    vertices = vertices.copy()
    record: dict = {"seed": seed, "ranges": RANGES, "actuators": {}}
    shift_sum = np.zeros_like(vertices)
    shift_count = np.zeros(len(vertices))
    for actuator, out in zip(config.actuators, raw["actuators"], strict=True):
        span = actuator.range[1] - actuator.range[0]
        drawn: dict = {
            "gain": _log_uniform(rng, *RANGES["gain"]),
            "offset": float(rng.uniform(-1, 1) * RANGES["offset_of_travel"] * span),
            "latency_ms": float(rng.uniform(*RANGES["latency_ms"])),
            "tau_ms": actuator.servo.tau_ms * _log_uniform(rng, *RANGES["lag"]),
            "max_speed": actuator.servo.max_speed * _log_uniform(rng, *RANGES["speed"]),
            "backlash": float(rng.uniform(*RANGES["backlash_deg"]) / SERVO_SWEEP_DEG * span),
        }
        if actuator.kind == "pull" and actuator.target == "skin":
            shift = rng.uniform(-1, 1, 3) * RANGES["anchor_mm"]
            shift_sum[actuator.anchors] += shift
            shift_count[actuator.anchors] += 1
            turn = float(rng.uniform(-1, 1) * RANGES["direction_deg"])
            if actuator.directions is not None:
                out["directions"] = [_turned(np.asarray(d), turn, rng).tolist() for d in actuator.directions]
            else:
                out["direction"] = _turned(np.asarray(actuator.direction), turn, rng).tolist()
            drawn.update(anchor_shift_mm=shift.tolist(), direction_turn_deg=turn)
        out["linkage"] = {"gain": drawn["gain"], "offset": drawn["offset"]}
        out["servo"] = {**out["servo"], "latency_ms": drawn["latency_ms"], "tau_ms": drawn["tau_ms"],
                        "max_speed": drawn["max_speed"], "backlash": drawn["backlash"]}
        record["actuators"][actuator.name] = drawn
    moved = shift_count > 0
    vertices[moved] += shift_sum[moved] / shift_count[moved, None]
    stiffness = _log_uniform(rng, *RANGES["stiffness"])
    # With glue and anchors prescribed, scaling every stiffness alike leaves the quasi-static skin
    # where it was; a stiffer silicone resists bending more than stretching, so bending is scaled.
    raw["skin"]["bending"] = config.skin.bending * stiffness
    physics = raw["skin"]["physics"]
    physics["stretch"], physics["bending"] = physics["stretch"] * stiffness, physics["bending"] * stiffness
    camera_turn = rng.uniform(-1, 1, 2) * RANGES["camera_deg"]
    record["skin"] = {"stiffness": stiffness}
    record["camera"] = {
        "offset_mm": (rng.uniform(-1, 1, 3) * RANGES["camera_mm"]).tolist(),
        "turn_deg": camera_turn.tolist(),
        "target_offset_mm": [*(CAMERA_DISTANCE_MM * np.tan(np.deg2rad(camera_turn))).tolist(), 0.0],
        "light": float(1.0 + rng.uniform(-1, 1) * RANGES["light"]),
    }
    return raw, vertices, record


def make_reality(source: str | Path | None, seed: int, out: Path) -> Path:
    """Write the stand-in of face `source` drawn with `seed` as the face folder `out`, atomically
    (a folder built beside it, then renamed); returns its face.yaml. The stand-in has no skin fit
    (its anchors moved, so a fit of the source would be stale): its fast skin is the elastic model."""
    out = Path(out)
    if out.exists():
        raise ConfigError(f"{out}: already exists; name a new folder for the stand-in")
    path = resolve_face(source)
    config = load_face_config(path)
    vertices, faces, uv = read_obj(config.skin.mesh)
    raw, moved, record = perturb(config, vertices, seed)
    record["source"] = str(path)
    # The same robot, built: its name (and so its spec, and the calibrations keyed on it) stays the face's.
    raw["description"] = f"A stand-in physical face: {config.name} perturbed by the reality recipe, seed {seed}."
    raw["provenance"] = {**raw.get("provenance", {}), "reality": f"facetwin reality make --from {config.name} "
                                                                 f"--seed {seed}"}
    raw["skin"]["mesh"], raw["skin"]["fit"] = "skin.obj", None

    def add_record(staging: Path) -> None:
        with atomic_write(staging / RECORD, "w") as handle:
            json.dump(record, handle, indent=1)
        load_face_config(staging / "face.yaml")  # the stand-in must load like any face

    return write_face_folder(out, raw, config, moved, faces, uv, f"stand-in of {config.name}, seed {seed}",
                             add_record)


def read_reality(face: str | Path) -> dict | None:
    """The record of a stand-in face folder (or its face.yaml), None for a face that is no stand-in."""
    path = resolve_face(face)
    record = path.parent / RECORD
    if not record.is_file():
        return None
    try:
        return json.loads(record.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{record}: not a reality record ({exc})") from None
