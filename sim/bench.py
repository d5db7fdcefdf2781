"""Throughput and latency of the twin, for `facetwin bench` and docs/benchmarks.md."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import load_face
from facetwin.sim.servo import ServoBank, ServoParams
from facetwin.sim.sim_face import SimFace


def _timed(fn: Callable[[], object], min_seconds: float, min_calls: int = 3) -> list[float]:
    fn()  # warm-up: caches, allocations, GL context
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _summary(times: list[float], items_per_call: int) -> dict:
    arr = np.asarray(times)
    return {
        "per_second": float(items_per_call * len(arr) / arr.sum()),
        "latency_ms_p50": float(np.percentile(arr, 50) * 1e3),
        "latency_ms_p95": float(np.percentile(arr, 95) * 1e3),
        "calls": int(len(arr)),
    }


def bench_fast_skin(batch: int = 1024, seconds: float = 3.0, face: str | None = None) -> dict:
    """Batched face-steps: servo integration for one control period plus fast-skin landmarks."""
    model = load_face(face)
    spec = model.spec
    skin = FastSkin(model)
    servos = ServoBank(ServoParams.from_config(model.config), spec.command_to_position(spec.neutral_command),
                       spec.control_period, batch=batch)
    rng = np.random.default_rng(0)
    targets = spec.command_to_position(rng.uniform(-1, 1, (batch, spec.n_actuators)))

    def step() -> None:
        skin.landmarks(servos.step(targets))

    skin_only = _summary(_timed(lambda: skin.landmarks(targets), seconds / 2), batch)
    full = _summary(_timed(step, seconds), batch)
    return {"batch": batch, "face_steps": full, "skin_only": skin_only}


def bench_sim_face(seconds: float = 3.0, face: str | None = None) -> dict:
    """One SimFace.step (servo substeps, skin, observation) without rendering."""
    rng = np.random.default_rng(0)
    with SimFace(face) as twin:
        twin.reset()
        commands = rng.uniform(-1, 1, (256, twin.spec.n_actuators)).astype(np.float32)
        counter = iter(range(10**12))
        return _summary(_timed(lambda: twin.step(commands[next(counter) % 256]), seconds), 1)


def bench_physics_skin(seconds: float = 3.0, face: str | None = None) -> dict:
    """One SimFace.step on the pybullet skin: servo substeps, as many physics substeps, landmarks.
    Each random command is held for ten control periods, as a mimicked expression would be."""
    rng = np.random.default_rng(0)
    with SimFace(face, skin="bullet") as twin:
        twin.reset()
        commands = np.repeat(rng.uniform(-1, 1, (32, twin.spec.n_actuators)).astype(np.float32), 10, axis=0)
        counter = iter(range(10**12))
        cpu = time.process_time()
        times = _timed(lambda: twin.step(commands[next(counter) % len(commands)]), seconds)
        cpu = time.process_time() - cpu
        result = _summary(times, 1)
        # Other jobs on the machine move the wall-clock rate; the rate per CPU-second this process got does not.
        result["per_cpu_second"] = float((len(times) + 1) / cpu)
        result["substeps"] = twin.skin.physics.substeps
        result["physics_hz"] = twin.spec.control_hz * twin.skin.physics.substeps
        result["nodes"] = int(len(twin.skin.nodes))
        result["layers"] = twin.skin.physics.layers
        return result


def bench_render(size: int = 256, seconds: float = 3.0, face: str | None = None) -> dict:
    """Offscreen frames of the current face, at size x size."""
    rng = np.random.default_rng(0)
    with SimFace(face, width=size, height=size) as twin:
        twin.reset()
        twin.step(rng.uniform(-1, 1, twin.spec.n_actuators).astype(np.float32))
        result = _summary(_timed(twin.render, seconds), 1)
        import OpenGL.GL as gl

        result["gl_renderer"] = gl.glGetString(gl.GL_RENDERER).decode()
        result["size"] = size
        return result
