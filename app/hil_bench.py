"""Hardware in the loop on the twin, measured: how fast it runs, and what perception costs.

Speed is `EmulatedFace.step` without pacing, with the twin's own landmarks or with the camera and
perception: the whole hardware path (safety, calibration, driver, bytes on a pty, the emulator
parsing them, a read-back round trip), then the twin, then (with the camera) a render and
MediaPipe. Perception's error is measured on settled poses, where the twin's own landmarks are
the truth the camera saw: the absolute error, and the error of the motion from neutral (which is
what retargeting and a policy use; a constant bias cancels in it).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.app.backends import open_backend
from facetwin.errors import BackendError
from facetwin.figure import save_figure
from facetwin.hardware.safety import SafetyConfig
from facetwin.topology import LEFT_IRIS, RIGHT_IRIS

NECK = ("neck_yaw", "neck_pitch", "neck_roll")


def _open(kind: str, camera: bool, face: str | None, max_step: float = 0.1):
    return open_backend(f"emulated:{kind}", face, camera=camera, pacing=False,
                        safety=SafetyConfig(max_step=max_step, watchdog_timeout=None))


def bench_hil(kind: str = "maestro", camera: bool = False, seconds: float = 3.0, face: str | None = None) -> dict:
    """Unpaced steps per second through `emulated:<kind>`, random commands, after a warm-up."""
    with _open(kind, camera, face) as hil:
        hil.reset()
        rng = np.random.default_rng(0)
        commands = rng.uniform(-1, 1, (256, hil.spec.n_actuators)).astype(np.float32)
        hil.step(commands[0])  # warm-up: GL context, detector
        times: list[float] = []
        start = time.perf_counter()
        while len(times) < 3 or time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            hil.step(commands[len(times) % len(commands)])
            times.append(time.perf_counter() - t0)
    arr = np.asarray(times)
    return {"backend": f"emulated:{kind}", "camera": camera, "per_second": float(len(arr) / arr.sum()),
            "latency_ms_p50": float(np.percentile(arr, 50) * 1e3),
            "latency_ms_p95": float(np.percentile(arr, 95) * 1e3), "calls": int(len(arr))}


def _poses(spec, n: int, seed: int, neck: bool) -> np.ndarray:
    """`neck=False`: moderate expressions, every face actuator from neutral up to 0.8 towards +1,
    the neck held; `neck=True`: every actuator anywhere in its range, the head turning too."""
    rng = np.random.default_rng(seed)
    if neck:
        return rng.uniform(-1, 1, (n, spec.n_actuators)).astype(np.float32)
    poses = np.clip(spec.neutral_command + rng.uniform(0.0, 0.8, (n, spec.n_actuators)), -1, 1)
    poses[:, [spec.index(name) for name in NECK]] = spec.neutral_command[[spec.index(name) for name in NECK]]
    return poses.astype(np.float32)


def _settled(hil, command: np.ndarray, ticks: int = 12):
    for _ in range(ticks):
        hil.step(command)
    hil.settle()
    observation = hil.step(command)
    return observation.landmarks, hil.twin_observation.landmarks


def perception_error(kind: str = "feetech", n_poses: int = 30, seed: int = 0, face: str | None = None,
                     progress: bool = True) -> dict:
    """Perceived vs the twin's own landmarks (mm, face frame, movable landmarks) on settled poses."""
    with _open(kind, True, face, max_step=0.25) as hil:
        spec = hil.spec
        movable = np.setdiff1d(np.arange(spec.n_landmarks), spec.regions["static"])
        regions = {name: np.asarray(ix) for name, ix in spec.regions.items() if name != "static"}
        hil.reset()
        seen0, truth0 = _settled(hil, spec.neutral_command)
        if seen0 is None:
            raise BackendError("perception does not find the twin's neutral face")
        result = {"backend": f"emulated:{kind}", "detector": type(hil.perception.perception.detector).__name__,
                  "image": list(hil.twin.render().shape[1::-1]),
                  "inter_ocular_mm": float(np.linalg.norm(truth0[RIGHT_IRIS[0]] - truth0[LEFT_IRIS[0]])),
                  "neutral_error_mm": float(np.linalg.norm(seen0 - truth0, axis=1)[movable].mean())}
        for name, neck in (("expressions", False), ("full_range_with_head", True)):
            rows, region_rows, seen_all, true_all, lost = [], [], [], [], 0
            for command in tqdm(_poses(spec, n_poses, seed, neck), desc=f"perception on the twin, {name}",
                                disable=not progress, leave=False):
                seen, truth = _settled(hil, command)
                if seen is None:
                    lost += 1
                    continue
                seen_motion, true_motion = seen - seen0, truth - truth0
                rows.append([np.linalg.norm(seen - truth, axis=1)[movable].mean(),
                             np.linalg.norm((seen - truth)[:, :2], axis=1)[movable].mean(),
                             np.linalg.norm(seen_motion - true_motion, axis=1)[movable].mean(),
                             np.linalg.norm(true_motion, axis=1)[movable].mean()])
                region_rows.append([[np.linalg.norm(seen_motion - true_motion, axis=1)[ix].mean(),
                                     np.linalg.norm(true_motion, axis=1)[ix].mean()] for ix in regions.values()])
                seen_all.append(seen_motion[movable])
                true_all.append(true_motion[movable])
            if not rows:
                raise BackendError(f"perception found the twin in none of the {name} poses")
            rows, region_rows = np.asarray(rows), np.asarray(region_rows)
            seen_all, true_all = np.concatenate(seen_all), np.concatenate(true_all)
            result[name] = {
                "poses": n_poses, "face_lost": lost,
                "error_mm": float(rows[:, 0].mean()), "error_mm_p95": float(np.percentile(rows[:, 0], 95)),
                "error_xy_mm": float(rows[:, 1].mean()),
                "motion_error_mm": float(rows[:, 2].mean()), "true_motion_mm": float(rows[:, 3].mean()),
                "motion_cosine": float(np.sum(seen_all * true_all)
                                       / (np.linalg.norm(seen_all) * np.linalg.norm(true_all))),
                "motion_gain": float(np.sum(seen_all * true_all) / np.sum(true_all**2)),
                "regions": {name: {"motion_error_mm": float(region_rows[:, r, 0].mean()),
                                   "true_motion_mm": float(region_rows[:, r, 1].mean())}
                            for r, name in enumerate(regions)},
            }
    return result


def plot_perception_error(result: dict, path: str | Path) -> Path:
    """Per region: how far the skin moved from neutral and how wrong perception got that motion."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, name in zip(axes, ("expressions", "full_range_with_head")):
        regions = result[name]["regions"]
        x = np.arange(len(regions))
        ax.bar(x - 0.2, [r["true_motion_mm"] for r in regions.values()], 0.4, label="skin motion (twin)")
        ax.bar(x + 0.2, [r["motion_error_mm"] for r in regions.values()], 0.4, label="perception's error in it")
        ax.set_xticks(x, list(regions), rotation=30)
        ax.set_title(f"{name.replace('_', ' ')}: cosine {result[name]['motion_cosine']:.2f}, "
                     f"gain {result[name]['motion_gain']:.2f}", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("mm (mean over landmarks and poses)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"MediaPipe on the twin's camera image ({result['backend']}, "
                 f"{result['image'][0]}x{result['image'][1]})", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)
