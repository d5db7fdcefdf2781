"""`facetwin train rl` and `facetwin eval`: reinforcement learning on the mimic env, and scoring a
saved policy. The rooms (agents, envs, stable-baselines3, torch) are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, JsonOption, NNDataOption
from facetwin.errors import ConfigError, FacetwinError


def _randomization(value: str) -> str | None:
    if value not in ("none", "default"):
        raise ConfigError(f"--randomization must be none or default, not {value!r}")
    return None if value == "none" else value


def train_rl(
    algo: str = typer.Option("ppo", "--algo", help="ppo or sac"),
    steps: int = typer.Option(..., "--steps", min=1, help="total environment steps (a resumed run continues to it)"),
    out: Path = typer.Option(..., "--out", help="run folder: policy, checkpoints, learning curve"),
    targets: str = typer.Option("reachable", "--targets", help="training targets: reachable, human or mix"),
    randomization: str = typer.Option("none", "--randomization", help="domain randomisation: none or default"),
    face: str | None = FaceOption,
    envs: int | None = typer.Option(None, "--envs", min=1, help="faces stepped together (default 64 PPO, 16 SAC)"),
    episode_steps: int = typer.Option(150, "--episode-steps", min=1, help="steps per episode"),
    eval_every: int = typer.Option(100_000, "--eval-every", min=1, help="evaluate every this many steps"),
    eval_episodes: int = typer.Option(16, "--eval-episodes", min=1, help="episodes per evaluation"),
    checkpoint_every: int = typer.Option(250_000, "--checkpoint-every", min=1, help="checkpoint interval (steps)"),
    seed: int = typer.Option(0, "--seed"),
    threads: int = typer.Option(1, "--threads", min=1, help="torch threads"),
    resume: bool = typer.Option(False, "--resume", help="continue the run in --out from its newest checkpoint"),
    plot: Path | None = typer.Option(None, "--plot", help="also copy the learning-curve PNG here"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Train a FaceMimic policy with PPO or SAC on the batched twin (checkpoints, evaluation on a
    separate env, resumable); writes the policy, its metadata and the learning curve to --out."""
    from facetwin.agents.rl.train import RLTrainConfig, train

    env_options = {"targets": targets, "episode_steps": episode_steps}
    if face is not None:
        env_options["face"] = face
    if _randomization(randomization) is not None:
        env_options["randomization"] = "default"
    config = RLTrainConfig(algo=algo, steps=steps, out=out, env_options=env_options, n_envs=envs,
                           eval_every=eval_every, eval_episodes=eval_episodes, checkpoint_every=checkpoint_every,
                           seed=seed, threads=threads, resume=resume, progress=progress)
    history = train(config)
    final = history["final"]
    typer.echo(f"{out}: {final['steps']:,} steps in {final['elapsed_s'] / 60:.1f} min")
    for kind in ("reachable", "human"):
        if f"{kind}_error_mm" in final:
            neutral = history[f"{kind}_neutral_error_mm"]
            error = final[f"{kind}_error_mm"]
            typer.echo(f"  {kind} targets: {error:.3f} mm (neutral face {neutral:.3f} mm, ratio {error / neutral:.2f})")
    if plot is not None:
        from facetwin.atomic import atomic_write

        with atomic_write(plot) as handle:
            handle.write((out / "learning_curve.png").read_bytes())
        typer.echo(f"  learning curve: {plot}")


def eval_policy(
    policy: Path | None = typer.Option(None, "--policy", help="a saved policy (.zip from `facetwin train rl`)"),
    targets: str = typer.Option("reachable", "--targets", help="reachable, human or mix"),
    episodes: int = typer.Option(32, "--episodes", min=1, help="episodes, run side by side"),
    json_path: Path | None = JsonOption,
    seed: int | None = typer.Option(None, "--seed", help="first episode seed (default: the evaluation seed)"),
    report: Path | None = typer.Option(None, "--report", help="instead, regenerate the results page (markdown) "
                                       "scoring every policy on the people in --media"),
    media: Path | None = typer.Option(None, "--media", help="folder of images and clips of people (--report)"),
    data: Path | None = NNDataOption,
    face: str | None = FaceOption,
) -> None:
    """Score a saved RL policy against the neutral face on the same episodes (mean landmark error,
    mm, overall and per region); or, with --report, regenerate the results page for every policy."""
    if report is not None:
        from facetwin.app.results import build_results
        from facetwin.faces import sample_clip

        if media is None or not media.is_dir() or data is None:
            raise FacetwinError("--report needs --media (a folder of images and clips) and --data (a babbling dataset)")
        build_results(media, data, report, sample=sample_clip(), face=face)
        typer.echo(f"wrote {report}")
        return
    if policy is None:
        raise FacetwinError("give --policy (a saved RL policy) or --report (the results page)")
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
