"""`facetwin eval`: a saved RL policy scored against the neutral face, the self-model's figures,
or the whole results page. The rooms are imported inside the command, so the CLI starts without
torch."""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, JsonOption, NNDataOption
from facetwin.errors import FacetwinError


def evaluate(
    policy: Path | None = typer.Option(None, "--policy", help="a saved policy (.zip from `facetwin train rl`)"),
    targets: str = typer.Option("reachable", "--targets", help="reachable, human or mix"),
    episodes: int = typer.Option(32, "--episodes", min=1, help="episodes, run side by side"),
    json_path: Path | None = JsonOption,
    seed: int | None = typer.Option(None, "--seed", help="first episode seed (default: the evaluation seed)"),
    report: Path | None = typer.Option(None, "--report", help="instead, regenerate the results page (markdown) "
                                       "scoring every policy on the people in --media"),
    selfmodel: bool = typer.Option(False, "--selfmodel", help="instead, score the inverse self-model and the "
                                   "baselines on held-out babbling (and on the people in --media)"),
    model: Path | None = typer.Option(None, "--model", help="the inverse model for --selfmodel (default: shipped "
                                      "with the face)"),
    media: Path | None = typer.Option(None, "--media", help="folder of images and clips of people"),
    heldout: int = typer.Option(5000, "--heldout", min=1, help="fresh babbled faces the self-model is scored on "
                                "(--report, --selfmodel)"),
    data: Path | None = NNDataOption,
    face: str | None = FaceOption,
) -> None:
    """Score a saved RL policy against the neutral face on the same episodes (mean landmark error,
    mm, overall and per region); or, with --report, regenerate the results page for every policy;
    or, with --selfmodel, the self-model's figures (assets/faces/<face>/policies/README.md)."""
    if report is not None:
        _results_page(report, media, data, face, heldout)
    elif selfmodel:
        _selfmodel_figures(data, media, model, face, heldout, json_path)
    elif policy is not None:
        _rl_policy(policy, targets, episodes, seed, json_path)
    else:
        raise FacetwinError("give --policy (a saved RL policy), --report (the results page) or --selfmodel")


def _results_page(report: Path, media: Path | None, data: Path | None, face: str | None, heldout: int) -> None:
    from facetwin.app.results import build_results
    from facetwin.faces import sample_clip

    if media is None or not media.is_dir() or data is None:
        raise FacetwinError("--report needs --media (a folder of images and clips) and --data (a babbling dataset)")
    build_results(media, data, report, sample=sample_clip(), face=face, heldout_samples=heldout)
    typer.echo(f"wrote {report}")


def _selfmodel_figures(data: Path | None, media: Path | None, model: Path | None, face: str | None, heldout: int,
                       json_path: Path | None) -> None:
    """Held-out command L1 for every baseline and the inverse model and, with `media`, their
    landmark error on each file, printed as JSON."""
    import json

    from facetwin.agents.selfmodel.evaluation import evaluate_selfmodel
    from facetwin.atomic import atomic_write

    if data is None:
        raise FacetwinError("--selfmodel needs --data (a babbling dataset, for the nearest-neighbour baseline)")
    if media is not None and not media.is_dir():
        raise FacetwinError(f"--media {media}: not a folder of images and clips")
    result = evaluate_selfmodel(data, faces=media, face=face, model=model, heldout_samples=heldout)
    typer.echo(json.dumps(result, indent=1))
    if json_path is not None:
        with atomic_write(json_path, "w") as handle:
            json.dump(result, handle, indent=1)


def _rl_policy(policy: Path, targets: str, episodes: int, seed: int | None, json_path: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    from facetwin.agents.rl.evaluation import EVAL_SEED, evaluate_policy_file

    result = evaluate_policy_file(policy, targets, episodes, EVAL_SEED if seed is None else seed, json_path)
    table = Table(title=f"{policy} ({result['algo']}, {result['trained_steps']:,} steps) on {episodes} "
                        f"{targets} episodes")
    for column in ("region", "policy mm", "neutral mm"):
        table.add_column(column)
    for region, value in result["policy_region_error_mm"].items():
        table.add_row(region, f"{value:.3f}", f"{result['neutral_region_error_mm'][region]:.3f}")
    table.add_row("all movable", f"{result['policy_error_mm']:.3f}", f"{result['neutral_error_mm']:.3f}")
    Console().print(table)
    typer.echo(f"ratio to the neutral face: {result['ratio_to_neutral']:.3f}"
               + (f"; wrote {json_path}" if json_path else ""))
