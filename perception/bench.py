"""Perception speed and filter quality on a real clip, for `facetwin bench` and docs/perception.md.

Speed is the whole per-frame path a live loop pays: decode, detect (tracking mode), align,
filter. Filter quality is two numbers that pull against each other:

- jitter: RMS of the frame-to-frame second difference x[t+1] - 2 x[t] + x[t-1] of the stable
  landmarks in the face frame (mm). Expressions barely move those points and smooth motion has a
  small second difference, so what remains is mostly detector noise.
- lag: the delay (frames, and ms at the clip's rate) that maximises the cross-correlation between
  the raw and the filtered trajectory, median over the ten most-moving landmark coordinates.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from facetwin.perception.alignment import FaceAligner
from facetwin.perception.detector import create_detector
from facetwin.perception.errors import PerceptionError
from facetwin.perception.one_euro import OneEuroConfig, OneEuroFilter
from facetwin.perception.sources import VideoSource
from facetwin.topology import STABLE_LANDMARKS

MAX_LAG_FRAMES = 15
MOVING_COORDINATES = 10


def jitter_mm(trajectory: np.ndarray, indices=STABLE_LANDMARKS) -> float:
    """RMS second difference (mm) of `trajectory[:, indices]` (T x 478 x 3, face frame)."""
    points = np.asarray(trajectory, dtype=np.float64)[:, list(indices)]
    if len(points) < 3:
        raise PerceptionError(f"jitter needs at least 3 frames, got {len(points)}")
    second = points[2:] - 2.0 * points[1:-1] + points[:-2]
    return float(np.sqrt(np.mean(second**2)))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / norm) if norm > 0 else 0.0


def _delay(raw: np.ndarray, filtered: np.ndarray, max_lag: int) -> float:
    """The shift k >= 0 (sub-frame, parabolic peak) maximising the correlation coefficient of
    raw[t] and filtered[t + k] over their overlap."""
    scores = np.array([_correlation(raw[: len(raw) - k], filtered[k:]) for k in range(max_lag + 1)])
    k = int(np.argmax(scores))
    if 0 < k < max_lag:
        left, mid, right = scores[k - 1], scores[k], scores[k + 1]
        curvature = left - 2.0 * mid + right
        if curvature < 0:
            return k + 0.5 * (left - right) / curvature
    return float(k)


def lag_frames(raw: np.ndarray, filtered: np.ndarray, n_coordinates: int = MOVING_COORDINATES,
               max_lag: int = MAX_LAG_FRAMES) -> tuple[float, list[tuple[int, int]]]:
    """Median delay (frames) of `filtered` behind `raw` (T x 478 x 3) over the most-moving
    landmark coordinates outside the stable set; also returns those (landmark, axis) pairs."""
    raw = np.asarray(raw, dtype=np.float64)
    filtered = np.asarray(filtered, dtype=np.float64)
    variance = raw.var(axis=0)
    variance[list(STABLE_LANDMARKS)] = -1.0
    flat = np.argsort(variance, axis=None)[::-1][:n_coordinates]
    pairs = [tuple(int(v) for v in np.unravel_index(i, variance.shape)) for i in flat]
    delays = [_delay(raw[:, lm, axis], filtered[:, lm, axis], max_lag) for lm, axis in pairs]
    return float(np.median(delays)), pairs


def filter_trajectory(raw: np.ndarray, times: np.ndarray, config: OneEuroConfig | None = None) -> np.ndarray:
    """Run a One Euro filter over a gap-free T x ... trajectory."""
    one_euro = OneEuroFilter(config)
    return np.stack([one_euro(frame, t) for frame, t in zip(raw, times)])


def filter_figures(raw: np.ndarray, times: np.ndarray, fps: float, config: OneEuroConfig | None = None) -> dict:
    """Jitter before/after, its reduction, and the lag a One Euro filter adds on `raw`."""
    filtered = filter_trajectory(raw, times, config)
    config = config or OneEuroConfig()
    before, after = jitter_mm(raw), jitter_mm(filtered)
    lag, pairs = lag_frames(raw, filtered)
    return {
        "filter": {"min_cutoff": config.min_cutoff, "beta": config.beta, "d_cutoff": config.d_cutoff},
        "jitter_raw_mm": before,
        "jitter_filtered_mm": after,
        "jitter_reduction": 1.0 - after / before,
        "lag_frames": lag,
        "lag_ms": 1000.0 * lag / fps,
        "lag_landmarks": [f"{lm}{'xyz'[axis]}" for lm, axis in pairs],
    }


def bench_perception(clip: Path, frames: int | None = None, config: OneEuroConfig | None = None,
                     landmarker: str | Path | None = None) -> dict:
    """Time decode + detect (tracking; the detector `create_detector(landmarker)` gives: the shipped
    FaceLandmarker by default) + align + filter over `clip` (first `frames` frames, default all) and
    measure the filter on the longest run of frames with a face."""
    aligner = FaceAligner()
    one_euro = OneEuroFilter(config)
    latencies, raw, times = [], [], []
    with VideoSource(clip) as source, create_detector(landmarker, video=True) as detector:
        iterator = iter(source)
        start = time.perf_counter()
        while frames is None or len(latencies) < frames:
            tick = time.perf_counter()
            frame = next(iterator, None)
            if frame is None:
                break
            aligned = aligner.align(detector.detect(frame.image, frame.time))
            if aligned is None:
                one_euro.reset()
                raw.append(None)
            else:
                one_euro(aligned[0], frame.time)
                raw.append(aligned[0])
            times.append(frame.time)
            latencies.append(time.perf_counter() - tick)
        elapsed = time.perf_counter() - start
        fps = source.fps
    if not latencies:
        raise PerceptionError(f"{clip}: no frames to benchmark")
    run = _longest_run([r is not None for r in raw])
    figures = {
        "clip": Path(clip).name,
        "frames": len(latencies),
        "frames_with_face": sum(r is not None for r in raw),
        "fps": len(latencies) / elapsed,
        "latency_ms_p50": 1000.0 * float(np.percentile(latencies, 50)),
        "latency_ms_p95": 1000.0 * float(np.percentile(latencies, 95)),
        "detector": detector.name,
    }
    if run.stop - run.start >= 3:
        figures.update(filter_figures(np.stack(raw[run]), np.asarray(times[run]), fps, config))
    return figures


def _longest_run(visible: list[bool]) -> slice:
    best, start = slice(0, 0), None
    for i, flag in enumerate([*visible, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best.stop - best.start:
                best = slice(start, i)
            start = None
    return best
