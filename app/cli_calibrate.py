"""`facetwin calibrate-twin`: the twin of the face on the bench, and how much closer it is."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from facetwin.app.backends import backend_help
from facetwin.app.cli_options import FaceOption, RealityOption, RobotIdOption


def calibrate_twin(
    backend: str = typer.Option(..., "--backend", help=escape(backend_help(hardware_only=True))),
    out: Path = typer.Option(..., "--out", help="the calibrated twin's face folder to write (must not exist)"),
    budget_min: float = typer.Option(10.0, "--budget-min", min=0.05, help="minutes of babbling at the face's "
                                     "control rate"),
    reality: Path | None = RealityOption,
    camera: bool = typer.Option(True, "--camera/--no-camera", help="emulated faces: landmarks from the camera and "
                                "perception (default), or the stand-in's own (exact, faster)"),
    seed: int = typer.Option(0, "--seed", help="seed of the babbling"),
    robot_id: str | None = RobotIdOption,
    json_path: Path | None = typer.Option(None, "--json", help="also write the report as JSON"),
    face: str | None = FaceOption,
) -> None:
    """Calibrate the twin from the face itself: neutral from the camera, babbling through the safety
    layer, the skin fitted to what the camera saw, each servo's latency and lag from step
    responses; writes a face folder. Interrupted, it resumes from OUT.partial."""
    from facetwin.app.calibrate_twin_job import run_calibrate_twin

    report = run_calibrate_twin(backend, out, face=face, reality=reality, budget_min=budget_min, seed=seed,
                                camera=camera, json_path=json_path, robot_id=robot_id)
    print_report(report)
    typer.echo(f"wrote {out}")


def print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    heldout = report["heldout_babbling_error_mm"]
    table = Table(title=f"held-out babbling ({heldout['samples']} samples of {report['babbling_samples']}, "
                        f"{report['babbling_frames']} frames): landmark error, mm")
    for column in ("twin", *heldout["nominal"]):
        table.add_column(column)
    for twin in ("nominal", "calibrated"):
        table.add_row(twin, *(f"{v:.3f}" for v in heldout[twin].values()))
    console.print(table)
    if "prediction_error_by_region_mm" in report:
        errors = report["prediction_error_by_region_mm"]
        table = Table(title=f"the stand-in's true landmarks at equilibrium, {report['held_out_commands']} held-out "
                            f"commands: error, mm (calibrated / nominal = {report['ratio']:.3f})")
        for column in ("twin", *errors["nominal"]):
            table.add_column(column)
        for twin in ("nominal", "calibrated"):
            table.add_row(twin, *(f"{v:.3f}" for v in errors[twin].values()))
        console.print(table)
    table = Table(title="servos: found" + (" vs truth" if "servos_vs_truth" in report else ""))
    for column in ("actuator", "latency ms", "true", "tau ms", "true"):
        table.add_column(column)
    truth = report.get("servos_vs_truth", {})
    for name, found in report["servos"].items():
        true = truth.get(name, {})
        table.add_row(name, f"{found['latency_ms']:.1f}", f"{true['true_latency_ms']:.1f}" if true else "",
                      f"{found['tau_ms']:.1f}", f"{true['true_tau_ms']:.1f}" if true else "")
    console.print(table)
