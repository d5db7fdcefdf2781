"""`facetwin fidelity`: does each action of the face read as what it is meant to be?"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, LandmarkerOption, SkinOption
from facetwin.atomic import atomic_write


def _print_table(report) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from facetwin.agents.fidelity.counterparts import NEUTRAL_BAR

    name, value = report.neutral_largest
    table = Table(title=f"{report.face}: each action at full travel, read by {report.landmarker}",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in (("actuator", "left"), ("AU", "left"), ("counterpart", "left"), ("rise", "right"),
                            ("bar", "right"), ("largest other", "left"), ("", "right"), ("verdict", "left")):
        table.add_column(column, justify=justify, no_wrap=True)
    for row in report.rows:
        table.add_row(row.group.name, row.counterpart.au, row.counterpart.blendshape,
                      "no face" if row.rise is None else f"{row.rise:+.2f}", f"{row.bar:.2g}",
                      row.largest_other_name or "", "" if row.largest_other is None else f"{row.largest_other:+.2f}",
                      "[green]pass[/green]" if row.passed else "[red]FAIL[/red]")
    console = Console()
    if not console.is_terminal:  # a log or a CI job: the whole table, not rich's 80 columns
        console = Console(width=110)
    console.print(table)
    neutral = "no face found" if value is None else f"strongest expression {name} {value:.2f}"
    console.print(f"neutral face: {neutral} (bar {NEUTRAL_BAR:g}, gaze aside)")
    if report.unmapped:
        console.print(f"not scored (no FACS counterpart known): {', '.join(report.unmapped)}")
    passed = sum(row.passed for row in report.rows)
    console.print(f"fidelity: {'[green]PASS[/green]' if report.passed else '[red]FAIL[/red]'} "
                  f"({passed} of {len(report.rows)} actions pass)")


def fidelity(
    face: str | None = FaceOption,
    out: Path = typer.Option(Path("out/fidelity"), "--out", help="folder for the contact sheet"),
    json_path: Path | None = typer.Option(None, "--json", help="also write the table as JSON"),
    skin: str = SkinOption,
    landmarker: str | None = LandmarkerOption,
) -> None:
    """Drive each expressive actuator (with its mirror partner) to full travel and back, and read the
    rendered twin with MediaPipe's FaceLandmarker: does its FACS counterpart blendshape rise, by at
    least 0.3 (or its human bar) and more than any other? Exit code 0 when every action and the
    neutral face pass, 1 when any fails (so a CI job fails with the face), 2 on bad input."""
    from facetwin.agents.fidelity.contact_sheet import write_contact_sheet
    from facetwin.agents.fidelity.measure import measure_fidelity

    report = measure_fidelity(face, skin=skin, landmarker=landmarker)
    _print_table(report)
    sheet = write_contact_sheet(report, out / f"{report.face}-fidelity.png")
    typer.echo(f"wrote {sheet}")
    if json_path is not None:
        with atomic_write(json_path, "w") as handle:
            json.dump(report.to_dict(), handle, indent=1)
        typer.echo(f"wrote {json_path}")
    if not report.passed:
        raise typer.Exit(1)
