"""The soak: the mimic loop run for a long time on a looping clip, watched for what only time
shows, latency that creeps up, memory that leaks, a watchdog that trips once an hour.

Nothing of the run is kept but per-minute figures, so the soak's own bookkeeping cannot be the leak
it is looking for. A step's latency is one whole iteration of the loop as a viewer lives it: the
frame read, perception, retargeting, the policy and the backend's step (on hardware and emulated
faces, paced to the control clock, so it is at least one control period there). A missed frame is
a step longer than two control periods: the face held a stale command for at least one tick.
"""

from __future__ import annotations

import math
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.agents.mimic.human_targets import HumanTargets
from facetwin.agents.mimic.loop import command_for
from facetwin.agents.policies.policy import Policy
from facetwin.backend import FaceBackend

MAX_CONSECUTIVE_FAULTS = 10
"""Exceptions in a row after which the soak stops: the face is broken, not flaky."""


def resident_mb() -> float:
    """This process's resident memory now, in MiB: /proc/self/statm where there is one (Linux),
    else the peak resident size, the closest that `resource` offers."""
    statm = Path("/proc/self/statm")
    if statm.is_file():
        return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


@dataclass
class SoakMinute:
    """One interval's figures (the last one may be shorter than a minute)."""

    minute: int
    end_s: float
    steps: int
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    latency_ms_p99: float | None
    rss_mb: float
    exceptions: int
    watchdog_trips: int
    missed_frames: int


@dataclass
class SoakReport:
    backend: str
    source: str
    policy: str
    control_period_s: float
    rss_start_mb: float
    minutes: list[SoakMinute] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    passes: int = 0
    wall_s: float = 0.0
    interrupted: bool = False
    aborted: bool = False

    @property
    def steps(self) -> int:
        return sum(m.steps for m in self.minutes)

    @property
    def faults(self) -> dict[str, int]:
        return {"exceptions": sum(m.exceptions for m in self.minutes),
                "watchdog_trips": sum(m.watchdog_trips for m in self.minutes),
                "missed_frames": sum(m.missed_frames for m in self.minutes)}

    @property
    def rss_growth_percent(self) -> float | None:
        """Resident memory at the end against the start (after the first step had loaded everything)."""
        if not self.minutes or not self.rss_start_mb:
            return None
        return 100.0 * (self.minutes[-1].rss_mb / self.rss_start_mb - 1.0)

    @property
    def p99_ratio(self) -> float | None:
        """The worst minute's p99 step latency against the first minute's."""
        p99 = [m.latency_ms_p99 for m in self.minutes if m.latency_ms_p99 is not None]
        return max(p99) / p99[0] if p99 and p99[0] > 0 else None

    def summary(self) -> dict:
        return {"backend": self.backend, "source": self.source, "policy": self.policy, "steps": self.steps,
                "wall_s": self.wall_s, "passes": self.passes, "interrupted": self.interrupted,
                "aborted": self.aborted, "faults": self.faults, "errors": self.errors,
                "rss_start_mb": self.rss_start_mb, "rss_end_mb": self.minutes[-1].rss_mb if self.minutes else None,
                "rss_growth_percent": self.rss_growth_percent,
                "latency_ms_p99_first_minute": self.minutes[0].latency_ms_p99 if self.minutes else None,
                "latency_ms_p99_worst_minute": max((m.latency_ms_p99 for m in self.minutes
                                                    if m.latency_ms_p99 is not None), default=None),
                "p99_ratio": self.p99_ratio}

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "per_minute": [asdict(m) for m in self.minutes]}


class _Interval:
    """The figures of the interval under way; `close` turns them into a SoakMinute."""

    def __init__(self) -> None:
        self.latencies_s: list[float] = []
        self.exceptions = 0
        self.missed = 0

    def close(self, minute: int, end_s: float, trips: int) -> SoakMinute:
        p50, p95, p99 = (float(v) for v in np.percentile(1000 * np.asarray(self.latencies_s), [50, 95, 99])) \
            if self.latencies_s else (None, None, None)
        return SoakMinute(minute, end_s, len(self.latencies_s), p50, p95, p99, resident_mb(), self.exceptions,
                          trips, self.missed)


def _watchdog_trips(backend: FaceBackend) -> int:
    """The watchdog trips so far of a hardware face, or of the hardware inside an emulated one."""
    hardware = getattr(backend, "hardware", backend)
    return getattr(hardware, "watchdog_trips", 0)


def run_soak(stream: HumanTargets, backend: FaceBackend, policy: Policy, *, seconds: float,
             interval_s: float = 60.0, backend_name: str = "", progress: bool = True) -> SoakReport:
    """Drive `backend` with `policy` on `stream` (give it a looping source) for `seconds` of wall
    clock, one SoakMinute per `interval_s`. An exception in a step is a fault, counted by its type
    and message, and the loop goes on; MAX_CONSECUTIVE_FAULTS in a row end it (`aborted`). Ctrl-C
    ends it with the figures so far (`interrupted`)."""
    spec = backend.spec
    policy.reset()
    frames = iter(stream)
    # The first frame before the reset: perception loads on it, and the watchdog, which the reset
    # starts, would take that wait for silence.
    item = next(frames, None)
    observation = backend.reset()
    report = SoakReport(backend_name or type(backend).__name__, stream.source.name, policy.name,
                        spec.control_period, rss_start_mb=0.0)
    interval, trips_seen, consecutive = _Interval(), _watchdog_trips(backend), 0
    bar = tqdm(total=round(seconds), desc=f"soak ({policy.name})", unit="s", disable=not progress)
    start = time.perf_counter()
    next_close = start + interval_s
    try:
        while (now := time.perf_counter()) - start < seconds:
            if now >= next_close:
                trips = _watchdog_trips(backend)
                report.minutes.append(interval.close(len(report.minutes) + 1, now - start, trips - trips_seen))
                trips_seen, interval, next_close = trips, _Interval(), next_close + interval_s
                last = report.minutes[-1]
                bar.set_postfix_str(f"p99 {last.latency_ms_p99 or math.nan:.0f} ms, RSS {last.rss_mb:.0f} MiB")
            t0 = time.perf_counter()
            try:
                if item is None:  # a looping source ends only when its frames failed
                    report.aborted = True
                    break
                observation = backend.step(command_for(policy, spec, item, observation))
                item = next(frames, None)
                consecutive = 0
            except Exception as exc:  # a fault to count, not a reason to stop watching
                key = f"{type(exc).__name__}: {exc}"
                report.errors[key] = report.errors.get(key, 0) + 1
                interval.exceptions += 1
                consecutive += 1
                if consecutive >= MAX_CONSECUTIVE_FAULTS:
                    report.aborted = True
                    break
                continue
            latency = time.perf_counter() - t0
            interval.latencies_s.append(latency)
            interval.missed += latency > 2 * spec.control_period
            if not report.rss_start_mb:
                report.rss_start_mb = resident_mb()
            bar.update(min(int(time.perf_counter() - start), bar.total) - bar.n)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        end = time.perf_counter()
        report.wall_s = end - start
        if interval.latencies_s or interval.exceptions:
            trips = _watchdog_trips(backend)
            report.minutes.append(interval.close(len(report.minutes) + 1, end - start, trips - trips_seen))
        report.passes = getattr(stream.source, "passes", 1)
        bar.close()
    return report
