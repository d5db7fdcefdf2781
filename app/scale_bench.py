"""Scaling of the two physics-bound shard jobs: today's local process pool against Ray with one
and two tasks at a time (docs/scale.md).

    facetwin bench-scale --face mira-tissue --commands 80 --samples 8 --rounds 2

One private Ray instance with two CPUs serves both Ray setups, started (and warmed up with one
shard) before any clock runs, so a figure is the job and not Ray's start; its start is reported
apart. The setups take turns round by round, so a load that comes and goes on a shared machine
falls on all of them alike. Every run must give the bytes the first one gave: the equilibria
array, and each babbling shard's hash.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from facetwin.agents.selfmodel.dataset import record_dataset
from facetwin.shard_pool import LOCAL, ShardPool
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace
from facetwin.sim.skin_fit import collect_equilibria, random_commands

SETUPS = {"pool, 2 processes": (2, None), "Ray, 1 worker": (1, LOCAL), "Ray, 2 workers": (2, LOCAL)}


@dataclass
class ScaleReport:
    """Wall seconds per job and setup, one entry per round, and Ray's own start."""

    seconds: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    ray_start_s: float = 0.0
    identical: bool = True

    def median(self, job: str, setup: str) -> float:
        return float(np.median(self.seconds[job][setup]))

    def lines(self) -> list[str]:
        out = [f"Ray start (private instance, 2 CPUs): {self.ray_start_s:.1f} s"]
        for job, by_setup in self.seconds.items():
            ray1, ray2, pool = (self.median(job, s) for s in ("Ray, 1 worker", "Ray, 2 workers", "pool, 2 processes"))
            runs = ", ".join(f"{s} {' / '.join(f'{t:.1f}' for t in ts)} s" for s, ts in by_setup.items())
            out.append(f"{job}: {runs}; Ray 2 workers = {ray1 / ray2:.2f} x Ray 1 worker, "
                       f"{pool / ray2:.2f} x the pool")
        out.append("results bit-identical across setups" if self.identical else "RESULTS DIFFER across setups")
        return out


def _babble(model: FaceModel, out: Path, samples: int, pool: ShardPool) -> list[str]:
    """Physics-skin babbling in shards of two samples; the shards' hashes."""
    with SimFace(model, skin="bullet") as twin:
        manifest = record_dataset(twin, out, samples, model.config, shard_size=2, seed=0, progress=False, pool=pool,
                                  open_shard_backend=partial(SimFace, str(model.path), skin="bullet"))
    return [s["sha256"] for s in manifest.shards]


def measure_scale(model: FaceModel, commands: int, samples: int, rounds: int) -> ScaleReport:
    """`commands` equilibria in chunks as fit-skin collects them, and `samples` babbled on the
    physics skin, on every setup for `rounds` rounds."""
    import ray

    report = ScaleReport()
    start = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        drawn = random_commands(model, commands, seed=1)
        collect_equilibria(model, drawn[:1], pool=ShardPool(2, LOCAL))  # workers up before any clock
        report.ray_start_s = time.perf_counter() - start
        reference: dict[str, object] = {}
        with tempfile.TemporaryDirectory(prefix="facetwin-scale-") as scratch:
            for r in range(rounds):
                for name, (workers, address) in SETUPS.items():
                    pool = ShardPool(workers, address)
                    jobs = {
                        f"fit-skin equilibria ({commands} commands)":
                            partial(collect_equilibria, model, drawn, pool=pool),
                        f"physics-skin babbling ({samples} samples)":
                            partial(_babble, model, Path(scratch) / f"{r}-{workers}-{address}", samples, pool),
                    }
                    for job, run in jobs.items():
                        t = time.perf_counter()
                        result = run()
                        report.seconds.setdefault(job, {}).setdefault(name, []).append(time.perf_counter() - t)
                        first = reference.setdefault(job, result)
                        same = np.array_equal(first, result) if isinstance(result, np.ndarray) else first == result
                        report.identical &= bool(same)
    finally:
        ray.shutdown()
    return report
