"""The `facetwin` command line.

Each command imports its room lazily so that `facetwin info` answers without loading torch,
OpenGL or MediaPipe. Every FacetwinError ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from facetwin.errors import FacetwinError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A digital twin of an animatronic robot face.")



@app.callback()
def _root() -> None:
    """A digital twin of an animatronic robot face: simulate, render, mimic, deploy."""


FaceOption = typer.Option(None, "--face", help="bundled face name, face folder or face.yaml (default: mira)")


@app.command()
def info(face: Optional[str] = FaceOption, as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """The face's spec: actuators, their ranges and neutral commands, control rate."""
    from facetwin.face_config import load_face_config
    from facetwin.faces import resolve_face

    config = load_face_config(resolve_face(face))
    spec = config.to_spec()
    if as_json:
        data = spec.to_dict()
        data["digest"] = spec.digest
        data["poses"] = config.poses
        typer.echo(json.dumps(data, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{spec.name}: {spec.n_actuators} actuators at {spec.control_hz:g} Hz (digest {spec.digest})")
    for column in ("actuator", "kind", "range", "neutral", "neutral cmd", "mirror"):
        table.add_column(column)
    for a in spec.actuators:
        table.add_row(a.name, a.kind, f"[{a.low:g}, {a.high:g}] {a.unit}", f"{a.neutral:g}",
                      f"{a.neutral_command:+.3f}", a.mirror or "")
    Console().print(table)
    typer.echo(f"poses: {', '.join(config.poses)}")


def main() -> None:
    try:
        app()
    except FacetwinError as exc:
        typer.echo(f"facetwin: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
