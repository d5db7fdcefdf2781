"""The calibrated twin written as a face folder, loadable wherever a bundled face is.

The folder keeps the nominal face's actuators, ranges and regions (so its spec, and every policy
and calibration keyed on it, stay the face's), and replaces what the calibration measured: the
rest geometry (skin.obj, the landmarks seen at neutral and fitted), the fast skin's modes
(skin_fit.npz, in the format `facetwin fit-skin` writes, keyed to this folder's mesh and rig), each
pull's anchor motion (per-anchor `directions` and `weights` as the modes moved the anchors) and
each servo's latency and time constant, and the jaw's linkage gain (its anchors move rigidly with
the rig, so what the fit saw there goes into the linkage). The folder is built beside its destination and renamed, so
it appears whole or not at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facetwin.agents.calibration.twin_skin import TwinSkin
from facetwin.atomic import atomic_write
from facetwin.errors import ConfigError
from facetwin.face_config import MAX_WEIGHT
from facetwin.mesh_io import read_obj
from facetwin.sim.face_folder import write_face_folder
from facetwin.sim.rig import FaceModel, load_face
from facetwin.sim.skin_fit import SkinFit, fit_key, save_fit

FIT = "skin_fit.npz"
REPORT = "calibration.json"


def _anchor_motion(model: FaceModel, skin: TwinSkin) -> dict[int, tuple[list, list]]:
    """Per pull actuator, the per-anchor unit directions and weights of the fitted modes."""
    out = {}
    for f, feature in enumerate(model.features):
        if feature.mode != "travel":
            continue
        motion = skin.modes[f, feature.anchors]
        size = np.linalg.norm(motion, axis=1)
        nominal = feature.displacement / np.linalg.norm(feature.displacement, axis=1, keepdims=True)
        directions = np.where(size[:, None] > 1e-6, motion / np.maximum(size, 1e-12)[:, None], nominal)
        out[feature.actuator] = (directions.tolist(), np.clip(size, 0.0, MAX_WEIGHT).tolist())
    return out


def _rotation_gains(model: FaceModel, skin: TwinSkin) -> tuple[dict[int, float], np.ndarray]:
    """Per skin rotation (the jaw), the linkage gain its fitted sin mode shows at the anchors
    against the rig's, and the modes rescaled to match: the rig moves those anchors itself, so the
    gain goes into the linkage and out of the modes (sin g.a ~ g sin a, 1 - cos g.a ~ g^2 (1 - cos a))."""
    modes = skin.modes.copy()
    gains = {}
    for f, feature in enumerate(model.features):
        if feature.mode != "sin":
            continue
        rig = feature.displacement
        gain = float(np.clip((skin.modes[f, feature.anchors] * rig).sum() / (rig * rig).sum(), 0.5, 2.0))
        gains[feature.actuator] = gain
        modes[f] /= gain
        versin = next(k for k, other in enumerate(model.features)
                      if other.actuator == feature.actuator and other.mode == "versin")
        modes[versin] /= gain * gain
    return gains, modes


def write_calibrated_face(nominal: FaceModel, skin: TwinSkin, servos: dict[str, dict], out: Path,
                          report: dict, heldout_rms_mm: float, train_rms_mm: float, samples: int) -> Path:
    """Write the calibrated twin of `nominal` to the folder `out` (which must not exist); `servos`
    maps actuator names to their found `latency_ms` and `tau_ms`; returns its face.yaml."""
    out = Path(out)
    if out.exists():
        raise ConfigError(f"{out}: already exists; name a new folder for the calibrated twin")
    config = nominal.config
    raw = config.model_dump(mode="json")
    raw["description"] = f"{config.name} calibrated from the face itself (facetwin calibrate-twin)."
    raw["provenance"] = {**raw.get("provenance", {}), "calibrated": report.get("backend", "")}
    raw["skin"]["mesh"], raw["skin"]["fit"] = "skin.obj", FIT
    motion = _anchor_motion(nominal, skin)
    gains, modes = _rotation_gains(nominal, skin)
    for index, actuator in enumerate(raw["actuators"]):
        if index in motion:
            actuator["directions"], actuator["weights"] = motion[index]
        if index in gains:
            actuator["linkage"] = {**actuator["linkage"], "gain": gains[index]}
        found = servos.get(actuator["name"])
        if found is not None:
            actuator["servo"] = {**actuator["servo"], "latency_ms": found["latency_ms"], "tau_ms": found["tau_ms"]}
    _, faces, uv = read_obj(config.skin.mesh)

    def add_fit_and_report(staging: Path) -> None:
        calibrated = load_face(staging / "face.yaml")
        save_fit(SkinFit(modes=modes, heldout_rms_mm=heldout_rms_mm, train_rms_mm=train_rms_mm,
                         n_commands=samples, seed=0, key=fit_key(calibrated)), staging / FIT)
        with atomic_write(staging / REPORT, "w") as handle:
            json.dump(report, handle, indent=1)

    return write_face_folder(out, raw, config, skin.rest, faces, uv, f"{config.name}, calibrated",
                             add_fit_and_report)
