"""What a mimic run achieved, as numbers: the summary and per-frame rows of `facetwin mimic --json`.

The live error is measured on the backend, servo lag included. To judge the policy itself, the
same targets are also scored at equilibrium on the face's twin model (each command held until the
servos settle): the policy's commands, the oracle's (the best this face can reach) and the neutral
face. Errors are mean landmark distances on the movable regions, in millimetres, face frame.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from facetwin.agents.metrics import face_actuators, landmark_error
from facetwin.agents.mimic.lag import lag_summary
from facetwin.agents.mimic.loop import MimicTrace
from facetwin.agents.policies.policy import Policy
from facetwin.atomic import atomic_write
from facetwin.sim.rig import FaceModel
from facetwin.sim.twin_batch import equilibrium_landmarks


def _mean(values) -> float | None:
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else None


def summarise(trace: MimicTrace, model: FaceModel, oracle: Policy | None = None,
              agreement: dict | None = None, settled_by: Policy | None = None) -> dict:
    """Summary and per-frame rows. Errors are scored only on frames with a face: on the others
    there is no person to compare with, so their rows and, when no frame had a face, the means are
    null rather than a reassuring number. `settled_by` answers the person's targets for the
    settled error when the loop asked the policy for others (a forecast)."""
    spec = trace.spec
    n = len(trace)
    targets = np.stack(trace.targets) if n else np.zeros((0, spec.n_landmarks, 3), np.float32)
    commands = np.stack(trace.commands) if n else np.zeros((0, spec.n_actuators), np.float32)
    settled = np.stack(trace.settled) if n else commands
    if settled_by is not None and n:
        settled = settled.copy()
        face = face_actuators(spec)
        settled[:, face] = settled_by.act_batch(targets)[:, face]
    scored = np.array(trace.face_visible, dtype=bool)
    static = landmark_error(equilibrium_landmarks(model, settled), targets, spec) if n else np.zeros(0)
    neutral = landmark_error(np.broadcast_to(equilibrium_landmarks(model, spec.neutral_command)[0], targets.shape),
                             targets, spec) if n else np.zeros(0)
    oracle_errors = np.full(n, np.nan)
    if oracle is not None and n:
        oracle_commands = oracle.act_batch(targets)
        oracle_errors = landmark_error(equilibrium_landmarks(model, oracle_commands), targets, spec)
    live = np.asarray(trace.errors, dtype=np.float64)
    regions = sorted({r for row in trace.region_errors for r in row})
    per_region = {r: _mean([row.get(r, math.nan) for row, s in zip(trace.region_errors, scored) if s])
                  for r in regions}
    latencies_ms = 1000.0 * np.asarray(trace.latencies_s, dtype=np.float64)
    policy_static, oracle_mean = _mean(static[scored]), _mean(oracle_errors[scored])
    live_mean = _mean(live[scored])
    summary = {
        "face": spec.name,
        "source": trace.source,
        "policy": trace.policy,
        "backend": trace.backend,
        "frames": n,
        "frames_with_face": int(np.sum(trace.face_visible)),
        "interrupted": trace.interrupted,
        "policy_error_mm": live_mean,
        "policy_static_error_mm": policy_static,
        "oracle_error_mm": oracle_mean,
        "neutral_error_mm": _mean(neutral[scored]),
        "policy_to_oracle": policy_static / oracle_mean if policy_static is not None and oracle_mean else None,
        "live_to_settled": live_mean / policy_static if live_mean is not None and policy_static else None,
        **trace_lag(trace),
        "per_region_mm": per_region,
        "fps": n / trace.wall_s if trace.wall_s > 0 else None,
        "latency_ms_p50": float(np.percentile(latencies_ms, 50)) if n else None,
        "latency_ms_p95": float(np.percentile(latencies_ms, 95)) if n else None,
    }
    if agreement is not None:
        summary["blendshape_agreement"] = agreement
    rows = [
        {
            "time": trace.times[i],
            "face": bool(trace.face_visible[i]),
            "state": trace.states[i],
            "command": np.round(commands[i], 5).tolist(),
            "applied": np.round(trace.applied[i], 5).tolist(),
            "error_mm": _finite(live[i]) if scored[i] else None,
            "static_error_mm": _finite(static[i]) if scored[i] else None,
            "oracle_error_mm": _finite(oracle_errors[i]) if scored[i] else None,
            "neutral_error_mm": _finite(neutral[i]) if scored[i] else None,
        }
        for i in range(n)
    ]
    return {"summary": summary, "actuators": list(spec.actuator_names), "per_frame": rows}


def trace_lag(trace: MimicTrace) -> dict:
    """The face's lag behind the person (see `facetwin.agents.mimic.lag`), on the clip's clock:
    one frame of the person per control period of the face, as the side-by-side video shows them."""
    n = len(trace)
    spec = trace.spec
    valid = np.array([p is not None and f is not None for p, f in zip(trace.unfiltered, trace.landmarks)], bool)
    person = np.full((n, spec.n_landmarks, 3), np.nan, np.float32)
    face = np.full((n, spec.n_landmarks, 3), np.nan, np.float32)
    for i in np.flatnonzero(valid):
        person[i], face[i] = trace.unfiltered[i], trace.landmarks[i]
    steps = np.diff(np.asarray(trace.times, dtype=np.float64))
    steps = steps[steps > 0]
    period = float(np.median(steps)) if steps.size else spec.control_period
    return {**lag_summary(person, face, valid, spec, period), "lag_frame_ms": round(1000.0 * period, 3)}


def _finite(value: float) -> float | None:
    return round(float(value), 5) if math.isfinite(value) else None


def write_report(report: dict, path: str | Path) -> Path:
    """The report as JSON, written atomically."""
    path = Path(path)
    with atomic_write(path, "w") as handle:
        json.dump(report, handle, indent=1)
    return path
