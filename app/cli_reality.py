"""`facetwin reality make`: a stand-in physical face for the emulated bench (sim/reality.py)."""

from __future__ import annotations

from pathlib import Path

import typer

reality_app = typer.Typer(no_args_is_help=True, help="Stand-in physical faces: the twin as a built face differs.")


@reality_app.command("make")
def make(
    source: str = typer.Option("mira", "--from", help="the face to perturb: bundled name, face folder or face.yaml"),
    seed: int = typer.Option(..., "--seed", help="seed of the perturbation"),
    out: Path = typer.Option(..., "--out", help="the stand-in's face folder to write (must not exist)"),
) -> None:
    """Write a face folder that differs from SOURCE as a built face would (anchors, pull directions,
    linkage gains and offsets, skin stiffness, servos, camera and light, within fixed ranges), for
    `--backend emulated:<kind> --reality OUT`. What was drawn is in OUT/reality.json, for scoring."""
    from facetwin.sim.reality import make_reality

    typer.echo(f"wrote {make_reality(source, seed, out)}")
