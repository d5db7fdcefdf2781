"""`facetwin train rl`: reinforcement learning on the mimic env. The rooms (agents, envs,
stable-baselines3, torch) are imported inside the command.
"""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, RayOption
from facetwin.errors import ConfigError


def _randomization(value: str) -> str | None:
    if value not in ("none", "default"):
        raise ConfigError(f"--randomization must be none or default, not {value!r}")
    return None if value == "none" else value


def train_rl(
    algo: str = typer.Option("ppo", "--algo", help="ppo or sac"),
    steps: int | None = typer.Option(None, "--steps", min=1, help="total environment steps (a resumed run continues "
                                     "to it); required without --sweep"),
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
    sweep: Path | None = typer.Option(None, "--sweep", help="a sweep file (algos, seeds, learning_rates, steps, ...): "
                                      "every combination a trial on Ray Tune, in --out (docs/scale.md)"),
    ray: str | None = RayOption,
) -> None:
    """Train a FaceMimic policy with PPO or SAC on the batched twin (checkpoints, evaluation on a
    separate env, resumable); writes the policy, its metadata and the learning curve to --out.
    With --sweep, a Ray Tune sweep of such runs, its table, curves and best policy."""
    if sweep is not None:
        _sweep(sweep, out, ray)
        return
    if steps is None:
        raise ConfigError("--steps is required (or give a --sweep file)")
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


def _sweep(path: Path, out: Path, ray: str | None) -> None:
    import os

    from facetwin.agents.rl.sweep import SweepConfig, run_sweep

    rows = run_sweep(SweepConfig.read(path), out, ray, cpus=os.cpu_count() or 1)
    for row in rows:
        typer.echo(f"  {row['trial']}: {row['reachable_error_mm']:.3f} mm (neutral face {row['neutral_error_mm']:.3f} "
                   f"mm, ratio {row['ratio']:.2f}), {row['minutes']:.1f} min")
    typer.echo(f"{out}: results.md, results.csv, learning_curves.png; best policy {out / 'best' / 'policy.zip'}")
