"""Real-to-sim calibration: from a face on the bench (any FaceBackend with a camera) to its twin.

    neutral        frames at the neutral command, averaged: the rest geometry as the camera sees it
    babbling       through the backend (so through its safety layer), into resumable shards,
                   until the budget of control periods is spent
    skin           rest and modes fitted to the babbled equilibria (twin_skin.py)
    servos         step responses, latency and lag from the camera (step_response.py)
    face folder    written atomically (face_folder.py), with the report

Everything in flight is kept in `<out>.partial` (neutral, dataset, step responses), each piece
written atomically, so an interrupted run resumes where it stopped and loses at most one shard of
babbling; the folder is removed once the face is written. The calibration sees only what the
backend gives (commands applied, positions read back, landmarks from the camera).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from facetwin.agents.calibration.face_folder import write_calibrated_face
from facetwin.agents.calibration.step_response import StepResponse, identify_servo, record_steps
from facetwin.agents.calibration.twin_skin import fit_twin_skin, held_out_fit_errors, region_errors
from facetwin.agents.selfmodel.babble import BabbleConfig
from facetwin.agents.selfmodel.dataset import MANIFEST, BabbleDataset, Manifest, record_dataset
from facetwin.atomic import atomic_write
from facetwin.backend import FaceBackend
from facetwin.errors import BackendError, ConfigError
from facetwin.observation import FaceObservation
from facetwin.sim.rig import FaceModel

NEUTRAL_FRAMES = 15
SHARD = 100
HOLD = 8
"""Control periods each babbled command is held at least: a bus that reports only its output (a
Maestro, a PCA9685) cannot tell when the horn arrived, so the hold must outlast the slowest servo."""


class CountingFace(FaceBackend):
    """A backend that counts the control periods it was stepped: the budget's clock."""

    def __init__(self, backend: FaceBackend, frames: int = 0) -> None:
        self.backend, self.frames = backend, frames

    @property
    def spec(self):
        return self.backend.spec

    def reset(self, seed: int | None = None) -> FaceObservation:
        return self.backend.reset(seed)

    def step(self, command) -> FaceObservation:
        self.frames += 1
        return self.backend.step(command)

    def close(self) -> None:
        """The caller owns the backend."""


def _save(path: Path, **arrays) -> None:
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)


def measure_neutral(backend: FaceBackend, model: FaceModel, work: Path) -> np.ndarray:
    """The landmarks at the neutral command, averaged over frames once the face is at rest."""
    path = work / "neutral.npz"
    if path.is_file():
        with np.load(path) as data:
            return data["landmarks"]
    backend.reset()
    neutral = model.spec.neutral_command.astype(np.float32)
    seen = [o.landmarks for o in (backend.step(neutral) for _ in range(NEUTRAL_FRAMES)) if o.landmarks is not None]
    if len(seen) < NEUTRAL_FRAMES // 2:
        raise BackendError(f"{model.spec.name}: the camera saw the face in {len(seen)} of {NEUTRAL_FRAMES} frames "
                           f"at neutral; check the camera and the light")
    landmarks = np.mean(seen, axis=0)
    _save(path, landmarks=landmarks)
    return landmarks


def babble(backend: FaceBackend, model: FaceModel, work: Path, budget_frames: int, seed: int,
           backend_name: str, progress: bool) -> tuple[dict, int]:
    """Babble shard by shard until the budget is spent; returns the data and the frames used."""
    counter_path = work / "frames.json"
    used = json.loads(counter_path.read_text())["frames"] if counter_path.is_file() else 0
    counting = CountingFace(backend, used)
    data = work / "babble"
    babble_config = BabbleConfig(min_hold=HOLD)
    samples = Manifest.read(data / MANIFEST).samples if (data / MANIFEST).is_file() else 0
    per_shard = used / max(samples / SHARD, 1e-9) if samples else 0.0
    while counting.frames + per_shard <= budget_frames or samples == 0:
        record_dataset(counting, data, samples + SHARD, model.config, babble=babble_config, shard_size=SHARD,
                       seed=seed, backend_name=backend_name, progress=progress)
        samples += SHARD
        per_shard = counting.frames / (samples / SHARD)
        with atomic_write(counter_path, "w") as handle:
            json.dump({"frames": counting.frames}, handle)
    return BabbleDataset.open(data, model.spec).load(), counting.frames


def step_responses(backend: FaceBackend, model: FaceModel, work: Path, progress: bool) -> list[StepResponse]:
    path = work / "steps.npz"
    if path.is_file():
        with np.load(path) as data:
            return [StepResponse(int(a), data[f"applied{k}"], data[f"positions{k}"], data[f"landmarks{k}"])
                    for k, a in enumerate(data["actuators"])]
    responses = record_steps(backend, model, progress)
    arrays = {"actuators": np.array([r.actuator for r in responses])}
    for k, r in enumerate(responses):
        arrays.update({f"applied{k}": r.applied, f"positions{k}": r.positions, f"landmarks{k}": r.landmarks})
    _save(path, **arrays)
    return responses


def calibrate_twin(backend: FaceBackend, model: FaceModel, out: Path, budget_min: float = 10.0, seed: int = 0,
                   backend_name: str = "", progress: bool = True) -> dict:
    """Calibrate the twin of the face behind `backend` (whose nominal twin is `model`) and write
    it to the face folder `out`; returns the report (also in the folder)."""
    out = Path(out)
    if out.exists():
        raise ConfigError(f"{out}: already exists; name a new folder for the calibrated twin")
    if backend.spec.digest != model.spec.digest:
        raise ConfigError(f"face {model.spec.name!r} does not describe the backend's face {backend.spec.name!r}")
    budget_frames = int(round(budget_min * 60.0 * model.spec.control_hz))
    work = out.with_name(out.name + ".partial")
    work.mkdir(parents=True, exist_ok=True)
    neutral = measure_neutral(backend, model, work)
    data, frames = babble(backend, model, work, budget_frames, seed, backend_name, progress)
    responses = step_responses(backend, model, work, progress)
    commands, landmarks = data["command"], data["landmarks"]
    skin = fit_twin_skin(model, neutral, commands, landmarks)
    heldout = held_out_fit_errors(model, neutral, commands, landmarks)
    train = region_errors(model, skin.predict(model, commands), landmarks)["all"]
    bound = skin.bound(model)
    servos = {model.spec.actuators[r.actuator].name: identify_servo(model, bound, r) for r in responses}
    report = {
        "backend": backend_name, "face": model.spec.name, "budget_min": budget_min, "babbling_frames": frames,
        "babbling_samples": len(commands), "step_response_frames": int(sum(len(r.applied) for r in responses)),
        "heldout_babbling_error_mm": heldout, "servos": servos,
    }
    write_calibrated_face(model, skin, servos, out, report, heldout["calibrated"]["all"], train, len(commands))
    shutil.rmtree(work, ignore_errors=True)
    return report
