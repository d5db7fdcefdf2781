"""A Ray Tune sweep of FaceMimic training runs: algorithms x seeds x learning rates (x any fixed
hyperparameters), one trial per combination.

    facetwin train rl --sweep sweep.yaml --out runs/sweep --ray local

Each trial is an ordinary `facetwin train rl` run in its own folder (`trials/<algo>-seed<s>-lr<lr>`),
so it checkpoints and resumes as one does: running the same sweep again hands Tune only the
unfinished trials and each resumes from their newest checkpoint, whichever node held them, as long as the sweep's
folder is a path every node sees. Tune schedules the trials, one CPU each. At the end the sweep
writes `results.md` and `results.csv` (one row per trial), `learning_curves.png`, and copies the
trial with the lowest reachable-target error to `best/` (policy.zip and policy.json, what
`facetwin eval --policy` and `--policy rl` read).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from facetwin.agents.rl.policy import METADATA
from facetwin.agents.rl.train import RLTrainConfig, train
from facetwin.atomic import atomic_write
from facetwin.config_model import ConfigModel, config_error
from facetwin.errors import ConfigError
from facetwin.figure import save_figure


class SweepConfig(ConfigModel):
    """A sweep file: the grid (`algos`, `seeds`, `learning_rates`) and what every trial shares."""

    algos: list[str] = Field(default_factory=lambda: ["ppo"], min_length=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    learning_rates: list[float] = Field(default_factory=lambda: [3e-4], min_length=1)
    steps: int = Field(100_000, ge=1)
    n_envs: int | None = Field(None, ge=1)
    eval_every: int = Field(25_000, ge=1)
    eval_episodes: int = Field(16, ge=1)
    checkpoint_every: int = Field(25_000, ge=1)
    env_options: dict[str, Any] = Field(default_factory=dict)
    hyperparameters: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> SweepConfig:
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise ConfigError(f"{path}: unreadable sweep file ({error})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a sweep file is a mapping of fields")
        try:
            return cls(**data)
        except ValidationError as error:
            raise config_error(error, str(path)) from None

    def trials(self) -> list[dict[str, Any]]:
        return [{"algo": a, "seed": s, "learning_rate": lr}
                for a, s, lr in itertools.product(self.algos, self.seeds, self.learning_rates)]


def trial_name(trial: dict[str, Any]) -> str:
    return f"{trial['algo']}-seed{trial['seed']}-lr{trial['learning_rate']:g}"


def _trial_config(sweep: SweepConfig, trial: dict[str, Any], out: Path) -> RLTrainConfig:
    folder = out / "trials" / trial_name(trial)
    return RLTrainConfig(algo=trial["algo"], steps=sweep.steps, out=folder, env_options=sweep.env_options,
                         n_envs=sweep.n_envs, eval_every=sweep.eval_every, eval_episodes=sweep.eval_episodes,
                         checkpoint_every=sweep.checkpoint_every, seed=trial["seed"],
                         resume=(folder / "checkpoints").is_dir() and any((folder / "checkpoints").glob("step_*.zip")),
                         progress=False,
                         hyperparameters={**sweep.hyperparameters, "learning_rate": trial["learning_rate"]})


def _finished(config: RLTrainConfig) -> dict | None:
    try:
        history = json.loads((config.out / "evaluations.json").read_text())
    except (OSError, ValueError):
        return None
    final = history.get("final")
    return history if final and final["steps"] >= config.steps else None


def run_trial(params: dict[str, Any], sweep: SweepConfig, out: Path) -> dict:
    """One trial (Tune's `params["trial"]`), resumed from its own folder, its summary reported to Tune."""
    from ray import train as ray_train

    trial = params["trial"]
    config = _trial_config(sweep, trial, out)
    history = _finished(config) or train(config)
    ray_train.report(_row(trial, history))
    return history


def _row(trial: dict[str, Any], history: dict) -> dict[str, Any]:
    final = history["final"]
    neutral = history["reachable_neutral_error_mm"]
    return {"trial": trial_name(trial), **trial, "steps": final["steps"],
            "reachable_error_mm": round(final["reachable_error_mm"], 4),
            "neutral_error_mm": round(neutral, 4), "ratio": round(final["reachable_error_mm"] / neutral, 4),
            "minutes": round(final["elapsed_s"] / 60, 2)}


def run_sweep(sweep: SweepConfig, out: Path, ray_address: str | None, cpus: int = 2) -> list[dict[str, Any]]:
    """Every trial on Tune (a private Ray instance with `cpus` CPUs unless `ray_address` names a
    cluster), then the table, the plot and the best policy; the rows, best first."""
    import ray
    from ray import tune

    from facetwin.shard_pool import ShardPool

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    pending = [t for t in sweep.trials() if _finished(_trial_config(sweep, t, out)) is None]
    if pending:  # a rerun of a finished sweep only writes its results again
        started = ShardPool(cpus, ray_address or "local").connect()
        try:
            trainable = tune.with_resources(tune.with_parameters(run_trial, sweep=sweep, out=out), {"cpu": 1})
            tuner = tune.Tuner(trainable, param_space={"trial": tune.grid_search(pending)},
                               run_config=ray.train.RunConfig(name="tune", storage_path=str(out / "tune"), verbose=0))
            grid = tuner.fit()
            failed = [r for r in grid if r.error is not None]
            if failed:
                first = str(failed[0].error).strip().splitlines()[-1]
                raise ConfigError(f"{len(failed)} of {len(grid)} trials failed (first: {first}); the trials' "
                                  f"checkpoints are kept in {out / 'trials'}; run the same sweep again to resume")
        finally:
            if started:
                ray.shutdown()
    return write_results(sweep, out)


def write_results(sweep: SweepConfig, out: Path) -> list[dict[str, Any]]:
    """results.md, results.csv, learning_curves.png and best/ from the trials' own folders."""
    histories = {trial_name(t): (t, _finished(_trial_config(sweep, t, out))) for t in sweep.trials()}
    missing = [name for name, (_, history) in histories.items() if history is None]
    if missing:
        raise ConfigError(f"{out}: trials not finished: {', '.join(missing)}; run the same sweep again to resume")
    rows = sorted((_row(t, h) for t, h in histories.values()), key=lambda r: r["reachable_error_mm"])
    columns = list(rows[0])
    table = io.StringIO()
    csv.DictWriter(table, columns).writeheader()
    csv.DictWriter(table, columns).writerows(rows)
    with atomic_write(out / "results.csv", "w") as handle:
        handle.write(table.getvalue())
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    with atomic_write(out / "results.md", "w") as handle:
        handle.write("\n".join(lines) + "\n")
    best = out / "trials" / rows[0]["trial"]
    for name in ("policy.zip", METADATA, "evaluations.json", "learning_curve.png"):
        with atomic_write(out / "best" / name, "wb") as handle:
            handle.write((best / name).read_bytes())
    _plot(histories, out / "learning_curves.png")
    return rows


def _plot(histories: dict[str, tuple[dict, dict]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4), dpi=110)
    neutral = None
    for name, (_, history) in histories.items():
        entries = history["evaluations"]
        axis.plot([e["steps"] / 1e3 for e in entries], [e["reachable_error_mm"] for e in entries], marker="o",
                  markersize=3, label=name)
        neutral = history["reachable_neutral_error_mm"]
    axis.axhline(neutral, color="grey", linestyle="--", linewidth=1, label="neutral face")
    axis.set_xlabel("training steps (thousands)")
    axis.set_ylabel("mean landmark error, reachable targets (mm)")
    axis.set_ylim(bottom=0)
    axis.set_title("FaceMimic sweep: learning curves")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    return save_figure(figure, path)
