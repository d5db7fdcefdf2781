"""`facetwin plot physics|training|perception-error`: the pictures in docs/img that no other
command writes, each under its docs name in the `--out` folder, with the figures the docs quote.
(`facetwin eval --report` writes the results page's pictures, `facetwin train rl --plot` the
learning curve.)"""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, JsonOption

plot_app = typer.Typer(no_args_is_help=True, help="Draw the pictures in docs/img.")

OutOption = typer.Option(Path("docs/img"), "--out", help="folder for the PNGs")


@plot_app.command("physics")
def physics(face: str | None = FaceOption, out: Path = OutOption) -> None:
    """The physics skin's step responses and an interaction case against the fast skin
    (docs/physics.md): physics_step_response_<face>.png and physics_interaction_<face>.png."""
    from facetwin.sim.physics_plots import plot_interaction, plot_step_responses
    from facetwin.sim.rig import load_face

    model = load_face(face)
    steps = out / f"physics_step_response_{model.spec.name}.png"
    interaction = out / f"physics_interaction_{model.spec.name}.png"
    for row in plot_step_responses(model, steps):
        typer.echo(f"{row['actuator']:22s} landmark {row['landmark']:3d}: final fast {row['fast_final_mm']:.2f} mm, "
                   f"physics {row['bullet_final_mm']:.2f} mm; overshoot {row['bullet_overshoot_pct']:.1f}% "
                   f"(fast {row['fast_overshoot_pct']:.1f}%); settles within 5% in "
                   f"{1000 * row['bullet_settle_s']:.0f} ms (fast {1000 * row['fast_settle_s']:.0f} ms)")
    result = plot_interaction(model, interaction)
    typer.echo(f"interaction: max {result['max_mm']:.2f} mm at landmark {result['argmax']}, "
               f"mean {result['mean_mm']:.2f} mm, {result['over_1mm']} landmarks over 1 mm; "
               f"fast skin max {result['fast_max_mm']:.2e} mm")
    typer.echo(f"wrote {steps} and {interaction}")


@plot_app.command("training")
def training(
    face: str | None = FaceOption,
    forward: Path | None = typer.Option(None, "--forward", help="forward model (default: shipped with the face)"),
    inverse: Path | None = typer.Option(None, "--inverse", help="inverse model (default: shipped with the face)"),
    out: Path = OutOption,
) -> None:
    """The self-models' learning curves, read from their checkpoints (docs/results.md):
    selfmodel_training.png."""
    from facetwin.agents.policies.registry import load_selfmodel
    from facetwin.agents.selfmodel.evaluation import plot_training
    from facetwin.face_config import load_spec

    spec = load_spec(face)
    models = {"forward": load_selfmodel(spec, "forward", forward), "inverse": load_selfmodel(spec, "inverse", inverse)}
    path = plot_training(models["forward"], models["inverse"], out / "selfmodel_training.png")
    for kind, model in models.items():
        typer.echo(f"{kind}: {len(model.history)} epochs")
    typer.echo(f"wrote {path}")


@plot_app.command("perception-error")
def perception_error(
    face: str | None = FaceOption,
    bus: str = typer.Option("feetech", "--bus", help="the emulated bus the twin is driven through"),
    poses: int = typer.Option(30, "--poses", min=1, help="settled poses per set"),
    seed: int = typer.Option(0, "--seed", help="seed of the poses"),
    out: Path = OutOption,
    json_path: Path | None = JsonOption,
) -> None:
    """What perception gets wrong on the twin's camera image, per region, on settled poses
    through emulated:<bus> (docs/hardware.md): hil_perception_error.png."""
    import json

    from facetwin.app.hil_bench import perception_error as measure
    from facetwin.app.hil_bench import plot_perception_error
    from facetwin.atomic import atomic_write

    result = measure(bus, n_poses=poses, seed=seed, face=face)
    path = plot_perception_error(result, out / "hil_perception_error.png")
    typer.echo(f"at neutral: {result['neutral_error_mm']:.2f} mm (inter-ocular {result['inter_ocular_mm']:.1f} mm)")
    for name in ("expressions", "full_range_with_head"):
        r = result[name]
        typer.echo(f"{name.replace('_', ' ')}: {r['error_mm']:.2f} mm (p95 {r['error_mm_p95']:.2f}, "
                   f"{r['error_xy_mm']:.2f} in x/y); motion {r['true_motion_mm']:.2f} -> its error "
                   f"{r['motion_error_mm']:.2f} mm; cosine {r['motion_cosine']:.2f}, gain {r['motion_gain']:.2f}; "
                   f"face lost in {r['face_lost']} of {r['poses']}")
    if json_path is not None:
        with atomic_write(json_path, "w") as handle:
            json.dump(result, handle, indent=2)
    typer.echo(f"wrote {path}" + (f" and {json_path}" if json_path else ""))
