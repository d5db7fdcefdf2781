"""The soak's picture: step latency percentiles and resident memory against time, one point per
minute, so a creep that no single minute shows is seen at a glance."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.agents.mimic.soak import SoakReport
from facetwin.figure import save_figure


def plot_soak(report: SoakReport, path: Path) -> Path:
    """Latency p50/p95/p99 (control period dashed) above, RSS below, both over the run's minutes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = np.array([m.end_s for m in report.minutes]) / 60.0
    figure, (latency, memory) = plt.subplots(2, 1, sharex=True, figsize=(7, 5), dpi=110)
    for key, label in (("latency_ms_p50", "p50"), ("latency_ms_p95", "p95"), ("latency_ms_p99", "p99")):
        values = [np.nan if getattr(m, key) is None else getattr(m, key) for m in report.minutes]
        latency.plot(minutes, values, marker="o", markersize=3, label=label)
    latency.axhline(1000 * report.control_period_s, color="grey", linestyle="--", linewidth=1,
                    label="control period")
    latency.set_ylabel("step latency (ms)")
    latency.set_ylim(bottom=0)
    latency.legend(fontsize=8)
    memory.plot(minutes, [m.rss_mb for m in report.minutes], marker="o", markersize=3, color="tab:purple")
    memory.set_ylabel("resident memory (MiB)")
    memory.set_xlabel("time (minutes)")
    faults = report.faults
    latency.set_title(f"soak on {report.backend}: {report.steps} steps, {faults['exceptions']} exceptions, "
                      f"{faults['watchdog_trips']} watchdog trips, {faults['missed_frames']} missed frames",
                      fontsize=9)
    for axis in (latency, memory):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return save_figure(figure, path)
