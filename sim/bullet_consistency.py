"""Twin consistency: the fast skin and the physics skin are two models of one face and should agree at equilibrium.

`measure_consistency` holds random commands (uniform in [-1, 1]) until the physics skin settles,
and compares its landmarks with the fast skin's for the same actuator positions on the movable
landmarks (every landmark not in the face's "static" region). The criterion: the RMS difference
is at most the larger of 0.5 mm and 10% of the mean displacement from the neutral face.

A face whose fast skin is fitted to its physics skin (`skin.fit`, written by `facetwin fit-skin`
from seed-1 commands) is compared here on commands the fit never saw (seed 0).
`facetwin consistency` runs this measurement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from facetwin.sim.bullet_skin import BulletSkin
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import FaceModel, load_face

ABSOLUTE_BOUND_MM = 0.5
RELATIVE_BOUND = 0.10


@dataclass(frozen=True)
class ConsistencyReport:
    """Landmark RMS differences (mm) between the physics and the fast skin over held commands."""

    n_commands: int
    rms_mm: float
    mean_displacement_mm: float
    bound_mm: float
    passed: bool
    region_rms_mm: dict[str, float]
    settle_seconds_mean: float
    settle_seconds_max: float
    wall_seconds: float

    def summary(self) -> str:
        verdict = "meets" if self.passed else "misses"
        return (f"{self.n_commands} commands: RMS {self.rms_mm:.3f} mm vs bound {self.bound_mm:.3f} mm "
                f"(mean displacement {self.mean_displacement_mm:.3f} mm) -> {verdict} the criterion")


def movable_landmarks(model: FaceModel) -> np.ndarray:
    """Landmarks the actuators can move: all but the face's "static" region."""
    return np.setdiff1d(np.arange(len(model.neutral_landmarks)), model.config.regions.get("static", []))


def rms(a: np.ndarray, b: np.ndarray) -> float:
    """Root mean square of the per-landmark distance between two (..., N, 3) landmark sets."""
    return float(np.sqrt(((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2).sum(-1).mean()))


def measure_consistency(model: FaceModel | None = None, n_commands: int = 100, seed: int = 0,
                        tolerance_mm: float = 1e-3, max_seconds: float = 5.0,
                        progress: bool = False) -> ConsistencyReport:
    """Hold `n_commands` random commands on the physics skin until it settles and compare with the fast skin."""
    from tqdm import tqdm

    model = model if model is not None else load_face()
    spec = model.spec
    fast = FastSkin(model)
    movable = movable_landmarks(model)
    commands = np.random.default_rng(seed).uniform(-1.0, 1.0, (n_commands, spec.n_actuators))
    positions = spec.command_to_position(commands)
    physics = np.empty((n_commands, len(movable), 3))
    settle = np.empty(n_commands)
    start = time.perf_counter()
    skin = BulletSkin(model)
    try:
        for i in tqdm(range(n_commands), desc="held commands", disable=not progress):
            settle[i] = skin.settle(positions[i], tolerance_mm=tolerance_mm, max_seconds=max_seconds)
            physics[i] = skin.landmarks(positions[i])[movable]
    finally:
        skin.close()
    wall = time.perf_counter() - start
    reference = fast.landmarks(positions)[:, movable]
    neutral = model.neutral_landmarks[movable]
    mean_displacement = float(np.linalg.norm(reference - neutral, axis=-1).mean())
    total = rms(physics, reference)
    bound = max(ABSOLUTE_BOUND_MM, RELATIVE_BOUND * mean_displacement)
    regions = {}
    for name, members in model.config.regions.items():
        inside = np.isin(movable, members)
        if inside.any():
            regions[name] = rms(physics[:, inside], reference[:, inside])
    return ConsistencyReport(
        n_commands=n_commands, rms_mm=total, mean_displacement_mm=mean_displacement, bound_mm=bound,
        passed=total <= bound, region_rms_mm=regions,
        settle_seconds_mean=float(settle.mean()), settle_seconds_max=float(settle.max()), wall_seconds=wall,
    )

