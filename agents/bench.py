"""How fast the self-model answers, for `facetwin bench` and docs/benchmarks.md: single requests
(one target in, one command out, as the mimic loop asks) and batches (as an evaluation asks)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from facetwin.agents.policies.registry import make_policy
from facetwin.sim.rig import load_face


def _timed(fn: Callable[[], object], seconds: float, min_calls: int = 3) -> np.ndarray:
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return np.asarray(times)


def _summary(times: np.ndarray, items_per_call: int) -> dict:
    return {"per_second": float(items_per_call * len(times) / times.sum()),
            "latency_ms_p50": float(np.percentile(times, 50) * 1e3),
            "latency_ms_p95": float(np.percentile(times, 95) * 1e3), "calls": int(len(times))}


def bench_inverse(seconds: float = 3.0, batch: int = 1024, face: str | None = None, model=None) -> dict:
    """The inverse policy: single requests per second and batched targets per second (it computes
    on one thread)."""
    face_model = load_face(face)
    policy = make_policy("inverse", face_model, model=model)
    rng = np.random.default_rng(0)
    neutral = face_model.neutral_landmarks
    targets = (neutral + rng.normal(0.0, 0.5, (256, *neutral.shape))).astype(np.float32)
    counter = iter(range(10**12))
    single = _summary(_timed(lambda: policy.act(targets[next(counter) % 256]), seconds), 1)
    many = np.resize(targets, (batch, *neutral.shape))
    batched = _summary(_timed(lambda: policy.act_batch(many), seconds / 2), batch)
    return {"single": single, "batch": batched, "batch_size": batch}
