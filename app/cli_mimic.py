"""`facetwin mimic` and `facetwin demo`: a person's face in, the robot face copying it out."""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.agents.policies.registry import POLICY_NAMES
from facetwin.app.cli_options import (
    BackendOption,
    FaceOption,
    LandmarkerOption,
    MaxFramesOption,
    NeutralOption,
    NNDataOption,
    RealityOption,
    RetargetOption,
    RobotIdOption,
    SkinOption,
    SourceOption,
)
from facetwin.errors import Interrupted


def _print_summary(report: dict) -> None:
    s = report["summary"]
    if not s["frames"]:
        return  # interrupted before its first frame: nothing was scored

    def mm(value) -> str:
        return "n/a" if value is None else f"{value:.2f} mm"

    typer.echo(f"{s['frames']} frames ({s['frames_with_face']} with a face) at {s['fps']:.0f} frames/s, "
               f"latency p50 {s['latency_ms_p50']:.1f} ms, p95 {s['latency_ms_p95']:.1f} ms")
    typer.echo(f"landmark error: {s['policy']} {mm(s['policy_error_mm'])} live, "
               f"{mm(s['policy_static_error_mm'])} settled; oracle {mm(s['oracle_error_mm'])}; "
               f"neutral face {mm(s['neutral_error_mm'])}")
    if s["lag_ms"] is not None:
        typer.echo(f"timing: the face follows the person by {s['lag_ms']:.0f} ms (negative: ahead), "
                   f"live error {s['live_to_settled']:.3f} x settled")
    agreement = s.get("blendshape_agreement")
    if agreement and agreement["mean_correlation"] is not None:
        ceiling = agreement["ceiling"]["mean_correlation"]
        typer.echo(f"blendshape agreement: mean correlation {agreement['mean_correlation']:.2f} over "
                   f"{agreement['blendshapes_compared']} blendshapes, {agreement['frames_scored']} frames; "
                   f"the target drawn on the twin (ceiling) {'n/a' if ceiling is None else f'{ceiling:.2f}'}")


def mimic(
    source: str = SourceOption,
    backend: str = BackendOption,
    reality: Path | None = RealityOption,
    robot_id: str | None = RobotIdOption,
    skin: str = SkinOption,
    policy: str = typer.Option("inverse", "--policy", help=f"one of {', '.join(POLICY_NAMES)}"),
    model: Path | None = typer.Option(None, "--model", help="the policy model file (default: shipped with the face)"),
    data: Path | None = NNDataOption,
    video: Path | None = typer.Option(None, "--video", help="write the side-by-side video (.mp4)"),
    json_path: Path | None = typer.Option(None, "--json", help="write per-frame commands, errors and a summary"),
    landmarker: str | None = LandmarkerOption,
    agreement: bool | None = typer.Option(None, "--agreement/--no-agreement", help="score the blendshape agreement "
                                          "of person, twin and target (default: on for sim, off elsewhere)"),
    contact_sheet: Path | None = typer.Option(None, "--contact-sheet", help="write the clip's most expressive "
                                              "frames, person | twin, with what the reader saw on each (.png)"),
    neutral: str = NeutralOption,
    retarget: str = RetargetOption,
    gain: float | None = typer.Option(None, "--gain", min=0.0, help="scale the person's expression before it is "
                                      "clipped to the face's reach (default: 3, measured so the twin reads about "
                                      "as strongly as the person)"),
    max_frames: int | None = MaxFramesOption,
    oracle: bool = typer.Option(True, "--oracle/--no-oracle", help="also score the oracle (the face's best)"),
    compensate: bool = typer.Option(False, "--compensate/--no-compensate", help="plan each command through the "
                                    "face's servo model (latency, lag, speed limit) so the face arrives on time"),
    anticipate: float = typer.Option(0.0, "--anticipate", min=0.0, max=1000.0, help="aim the policy at the "
                                     "person's expression forecast this many ms ahead (0: off)"),
    predictor: Path | None = typer.Option(None, "--predictor", help="the expression predictor (.npz; default: "
                                          "shipped with the face)"),
    face: str | None = FaceOption,
) -> None:
    """Copy a person's expressions onto the face: perception, retargeting, policy, backend; with a
    landmarker, also the blendshape agreement between person and twin."""
    from facetwin.app.mimic_job import MimicOptions, run_mimic_job

    report = run_mimic_job(MimicOptions(source=source, face=face, backend=backend, robot_id=robot_id,
                                        reality=reality, skin=skin, policy=policy, model=model, data=data,
                                        video=video, json=json_path,
                                        landmarker=landmarker, neutral=neutral, retarget=retarget, gain=gain,
                                        max_frames=max_frames, oracle=oracle, compensate=compensate,
                                        anticipate_ms=anticipate, predictor=predictor,
                                        agreement=agreement, contact_sheet=contact_sheet))
    _print_summary(report)
    for path in (video, json_path, contact_sheet):
        if path is not None and path.is_file():  # a video has no file before its first frame
            typer.echo(f"wrote {path}")
    _end_as_the_run_did(report["summary"])


def _end_as_the_run_did(summary: dict) -> None:
    """Ctrl-C ends in its own line and exit 130; a run that saw no face scored nothing, and exit 0
    would pass for a perfect copy."""
    if summary["interrupted"]:
        raise Interrupted("the face was brought to rest and its outputs closed")
    if summary["frames"] and not summary["frames_with_face"]:
        from facetwin.perception.errors import SourceError

        raise SourceError(f"{summary['source']}: no face in any of its {summary['frames']} frames, so nothing was "
                          f"scored (the errors are null)")


def demo(
    out: Path = typer.Option(Path("out/demo.mp4"), "--out", help="the side-by-side video to write"),
    source: str | None = typer.Option(None, "--source", help="person to copy (default: the bundled sample clip)"),
    face: str | None = FaceOption,
) -> None:
    """The main job on the bundled sample: the twin copies a person, with the shipped inverse
    model; writes the side-by-side video and its metrics beside it (.json)."""
    from facetwin.app.mimic_job import MimicOptions, run_mimic_job
    from facetwin.faces import sample_clip

    json_path = out.with_suffix(".json")
    report = run_mimic_job(MimicOptions(source=source or str(sample_clip()), face=face, video=out, json=json_path))
    _print_summary(report)
    typer.echo(f"wrote {out} and {json_path}")
    _end_as_the_run_did(report["summary"])
