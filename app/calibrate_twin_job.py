"""`facetwin calibrate-twin`: open the face, calibrate its twin, and on a stand-in score the result.

The calibration itself (agents/calibration/) receives only the opened FaceBackend. On a stand-in
face (`emulated:<kind>` with a reality) this job then reads the stand-in's own files, which the
calibration never saw, to score what it found: the landmark prediction error of the nominal and
the calibrated twin against the stand-in's true landmarks at equilibrium for held-out commands,
per region, and each servo's latency and lag found against the truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facetwin.agents.calibration.calibrate import calibrate_twin
from facetwin.agents.calibration.twin_skin import region_errors
from facetwin.agents.selfmodel.babble import CommandSampler
from facetwin.app.backends import open_backend
from facetwin.atomic import atomic_write
from facetwin.sim.reality import read_reality
from facetwin.sim.rig import FaceModel, load_face
from facetwin.sim.twin_batch import equilibrium_landmarks
from facetwin.topology import similarity_align

SCORED_COMMANDS = 300
SCORING_SEED = 1_000_003
"""Held-out commands are drawn with their own seed, never one babbling uses."""


def _aligned_equilibria(model: FaceModel, commands: np.ndarray, truth_rest: np.ndarray) -> np.ndarray:
    """Equilibrium landmarks of `model`, carried by one similarity (fitted at rest on the landmarks
    expressions barely move) into the stand-in's frame: a twin fitted on what a camera saw lives in
    the camera's face frame, which need not be the stand-in's own."""
    rest = equilibrium_landmarks(model, model.spec.neutral_command[None])[0]
    return similarity_align(rest, truth_rest).apply(equilibrium_landmarks(model, commands))


def score_against_reality(nominal: FaceModel, calibrated: FaceModel, reality: Path, report: dict) -> dict:
    """Prediction error (mm, per region) of both twins on the stand-in's truth, and servo
    parameters found against the truth."""
    truth_model = load_face(reality)
    record = read_reality(reality) or {}
    commands = CommandSampler(nominal.config).sample(np.random.default_rng(SCORING_SEED), SCORED_COMMANDS)
    truth = equilibrium_landmarks(truth_model, commands)
    truth_rest = equilibrium_landmarks(truth_model, nominal.spec.neutral_command[None])[0]
    errors = {name: region_errors(nominal, _aligned_equilibria(model, commands, truth_rest), truth)
              for name, model in (("nominal", nominal), ("calibrated", calibrated))}
    servos = {}
    for name, found in report["servos"].items():
        true = record.get("actuators", {}).get(name)
        if true is None:
            continue
        servos[name] = {"latency_ms": found["latency_ms"], "true_latency_ms": true["latency_ms"],
                        "tau_ms": found["tau_ms"], "true_tau_ms": true["tau_ms"],
                        "lag_error": found["tau_ms"] / true["tau_ms"] - 1.0,
                        "latency_error_ms": found["latency_ms"] - true["latency_ms"]}
    return {"prediction_error_mm": {k: v["all"] for k, v in errors.items()},
            "prediction_error_by_region_mm": errors,
            "ratio": errors["calibrated"]["all"] / errors["nominal"]["all"],
            "held_out_commands": SCORED_COMMANDS, "servos_vs_truth": servos}


def run_calibrate_twin(backend: str, out: Path, face: str | None = None, reality: Path | None = None,
                       budget_min: float = 10.0, seed: int = 0, camera: bool = True, json_path: Path | None = None,
                       progress: bool = True, **backend_options) -> dict:
    """Open `backend`, calibrate the twin of its face into `out`, score it on a stand-in."""
    nominal = load_face(face)
    options = dict(backend_options)
    if backend.startswith("emulated:"):
        options["camera"] = camera
    if reality is not None:
        options["reality"] = reality
    with open_backend(backend, nominal, **options) as opened:
        report = calibrate_twin(opened, nominal, out, budget_min=budget_min, seed=seed, backend_name=backend,
                                progress=progress)
    report["camera"] = camera
    if reality is not None:
        report["reality"] = str(reality)
        report.update(score_against_reality(nominal, load_face(out), reality, report))
        with atomic_write(out / "calibration.json", "w") as handle:
            json.dump(report, handle, indent=1)
    if json_path is not None:
        with atomic_write(json_path, "w") as handle:
            json.dump(report, handle, indent=1)
    return report
