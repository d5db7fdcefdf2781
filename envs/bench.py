"""Throughput of the mimic environments, for `facetwin bench` and docs/benchmarks.md.

Each figure is env-steps per second with random actions (drawn beforehand), episode ends and
resets included: the batched env at N faces (one `step` advances N envs) and one `gym.make` env
with Gymnasium's default wrappers, as a training loop sees them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np

from facetwin.envs.vector_env import FaceMimicVectorEnv


def _rate(step: Callable[[int], object], items: int, seconds: float, warmup: int = 20) -> dict:
    for i in range(warmup):
        step(i)
    times = []
    start, cpu = time.perf_counter(), time.process_time()
    while len(times) < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        step(len(times))
        times.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu
    arr = np.asarray(times)
    # Wall-clock rate, and the rate per CPU-second this process got: on a shared machine the
    # second shows what the code costs, the first what the other jobs left of it.
    return {"per_second": float(items * len(arr) / arr.sum()),
            "per_cpu_second": float(items * len(arr) / cpu) if cpu > 0 else float("nan"),
            "latency_ms_p50": float(np.percentile(arr, 50) * 1e3),
            "latency_ms_p95": float(np.percentile(arr, 95) * 1e3), "calls": int(len(arr))}


def bench_vector_env(num_envs: int = 1024, seconds: float = 3.0, **options) -> dict:
    """Env-steps/s of the batched env (`num_envs` faces per step)."""
    envs = FaceMimicVectorEnv(num_envs, **options)
    try:
        envs.reset(seed=0)
        actions = np.random.default_rng(0).uniform(-1, 1, (16, *envs.action_space.shape)).astype(np.float32)
        result = _rate(lambda i: envs.step(actions[i % 16]), num_envs, seconds)
    finally:
        envs.close()
    return {"num_envs": num_envs, **result}


def bench_single_env(seconds: float = 3.0, **options) -> dict:
    """Steps/s of one `gym.make("facetwin/FaceMimic-v0")` env."""
    env = gym.make("facetwin/FaceMimic-v0", **options)
    try:
        env.reset(seed=0)
        actions = np.random.default_rng(0).uniform(-1, 1, (256, *env.action_space.shape)).astype(np.float32)

        def step(i: int) -> None:
            if env.step(actions[i % 256])[3]:
                env.reset()

        return _rate(step, 1, seconds)
    finally:
        env.close()


def bench_envs(num_envs: int = 1024, seconds: float = 3.0, face: str | None = None) -> dict:
    """Every figure of the envs section: batched (reachable and mixed targets) and single."""
    options = {} if face is None else {"face": face}
    return {
        "vector": bench_vector_env(num_envs, seconds, **options),
        "vector_mix": bench_vector_env(num_envs, seconds, targets="mix", **options),
        "single": bench_single_env(seconds, **options),
    }
