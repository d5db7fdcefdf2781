"""`facetwin bench-scale`: the physics-bound shard jobs on today's process pool and on Ray with
one and two workers, in turns (docs/scale.md)."""

from __future__ import annotations

import typer

from facetwin.app.cli_options import FaceOption


def bench_scale(
    face: str | None = typer.Option("mira-tissue", "--face", help=FaceOption.help),
    commands: int = typer.Option(80, "--commands", min=1, help="physics equilibria per fit-skin job"),
    samples: int = typer.Option(8, "--samples", min=1, help="physics-skin samples per babbling job"),
    rounds: int = typer.Option(2, "--rounds", min=1, help="rounds of every setup in turn"),
) -> None:
    """Time fit-skin's equilibria and physics-skin babbling on the local pool and on Ray."""
    from facetwin.app.scale_bench import measure_scale
    from facetwin.sim.rig import load_face

    for line in measure_scale(load_face(face), commands, samples, rounds).lines():
        typer.echo(line)
