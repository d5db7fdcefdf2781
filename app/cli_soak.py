"""`facetwin soak`: the mimic loop for minutes or hours on a looping clip, watched for the faults
that only time shows (latency creep, a memory leak, a watchdog trip); per-minute figures as JSON
and a picture."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from facetwin.agents.policies.registry import POLICY_NAMES
from facetwin.app.cli_options import BackendOption, FaceOption, RobotIdOption
from facetwin.errors import ConfigError, Interrupted


def soak(
    backend: str = BackendOption,
    robot_id: str | None = RobotIdOption,
    minutes: float = typer.Option(..., "--minutes", help="how long to drive the face (wall clock)"),
    source: str | None = typer.Option(None, "--source", help="person to copy (default: the bundled sample clip)"),
    policy: str = typer.Option("inverse", "--policy", help=f"one of {', '.join(POLICY_NAMES)}"),
    json_path: Path | None = typer.Option(None, "--json", help="write the per-minute figures and the summary"),
    plot: Path | None = typer.Option(None, "--plot", help="write latency and memory over time (.png; default: "
                                     "beside --json)"),
    face: str | None = FaceOption,
) -> None:
    """Drive the face with the mimic loop on a clip played again and again; report step latency percentiles and
    resident memory per minute, and the faults (exceptions, watchdog trips, missed frames). Exits 1
    on an exception or a watchdog trip, 130 on Ctrl-C."""
    from facetwin.agents.mimic.human_targets import HumanTargets
    from facetwin.agents.mimic.looping_source import LoopingSource
    from facetwin.agents.mimic.report import write_report
    from facetwin.agents.mimic.soak import run_soak
    from facetwin.agents.mimic.soak_plot import plot_soak
    from facetwin.agents.policies.registry import make_policy
    from facetwin.app.backends import open_backend
    from facetwin.faces import sample_clip
    from facetwin.perception.reachable import reachable_bounds
    from facetwin.sim.rig import load_face
    from facetwin.sim.sim_face import SimFace

    if not minutes > 0:
        raise ConfigError(f"--minutes {minutes:g}: a soak needs a positive duration")
    plot = plot or (json_path.with_suffix(".png") if json_path is not None else None)
    if plot is not None and plot.suffix.lower() != ".png":
        raise ConfigError(f"--plot {plot}: the soak's picture is a .png file")
    model = load_face(face)
    runner = make_policy(policy, model)
    with SimFace(model) as twin:
        bounds = reachable_bounds(twin)  # the retargeting's reach comes from the face's twin model
    with contextlib.ExitStack() as stack:
        # The person's side opens first so that it closes last: the face's outputs go off before
        # MediaPipe takes its time to shut down.
        stream = stack.enter_context(HumanTargets(LoopingSource(source or sample_clip()), model.spec, bounds))
        face_backend = stack.enter_context(open_backend(backend, model, robot_id=robot_id))
        report = run_soak(stream, face_backend, runner, seconds=60.0 * minutes, backend_name=backend)
    _print_summary(report)
    if json_path is not None:
        typer.echo(f"wrote {write_report(report.to_dict(), json_path)}")
    if plot is not None and report.minutes:
        typer.echo(f"wrote {plot_soak(report, plot)}")
    if report.interrupted:
        raise Interrupted("the face was brought to rest and its outputs closed")
    faults = report.faults
    if faults["exceptions"] or faults["watchdog_trips"] or report.aborted:
        raise typer.Exit(1)


def _print_summary(report) -> None:
    def ms(value) -> str:
        return "n/a" if value is None else f"{value:.1f} ms"

    for m in report.minutes:
        typer.echo(f"minute {m.minute}: {m.steps} steps, latency p50 {ms(m.latency_ms_p50)}, "
                   f"p95 {ms(m.latency_ms_p95)}, p99 {ms(m.latency_ms_p99)}, RSS {m.rss_mb:.0f} MiB, "
                   f"{m.exceptions} exceptions, {m.watchdog_trips} watchdog trips, {m.missed_frames} missed frames")
    s = report.summary()
    growth = "n/a" if s["rss_growth_percent"] is None else f"{s['rss_growth_percent']:+.1f}%"
    ratio = "n/a" if s["p99_ratio"] is None else f"{s['p99_ratio']:.2f}x"
    typer.echo(f"{s['steps']} steps in {s['wall_s'] / 60:.1f} min over {s['passes']} passes of the clip: "
               f"RSS {growth}, worst minute's p99 {ratio} the first's; faults: {s['faults']['exceptions']} "
               f"exceptions, {s['faults']['watchdog_trips']} watchdog trips, {s['faults']['missed_frames']} "
               "missed frames")
    for error, count in s["errors"].items():
        typer.echo(f"  {count} x {error}", err=True)
    if report.aborted:
        typer.echo("aborted: the face kept failing or the source gave no more frames", err=True)
