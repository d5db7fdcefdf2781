"""Train a mimic policy with PPO or SAC (stable-baselines3) on the batched twin, resumably.

    facetwin train rl --algo ppo --steps 1500000 --out out/rl/ppo

The output folder holds everything a run needs and leaves:
  policy.json          algorithm, face (spec digest), env options: what `RLPolicy` and `facetwin eval` read
  checkpoints/         step_<n>.zip every `checkpoint_every` steps (and SAC's replay buffer), the last two kept
  evaluations.json     the learning curve: landmark error on fixed reachable and human episodes per evaluation
  best.zip, policy.zip the best model by evaluation return, and the model at the end
  learning_curve.png   the curve as a picture; logs/progress.csv, SB3's own log
Every file is written atomically. `resume=True` continues from the newest checkpoint up to the
same total number of steps; without it, a folder that already holds a run is refused.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from facetwin.agents.rl.evaluation import EVAL_SEED, evaluate, model_predict
from facetwin.agents.rl.policy import METADATA, OBSERVATION_LAYOUT, algorithm
from facetwin.agents.rl.vec_env import MimicVecEnv
from facetwin.atomic import atomic_write
from facetwin.config_model import ConfigModel
from facetwin.envs.task import face_of
from facetwin.errors import ConfigError
from facetwin.figure import save_figure

# Chosen on this task: targets change every 0.2-1 s and the reward is immediate, so a short
# horizon (gamma 0.9) learns fastest; a small initial action noise keeps the face near its targets.
HYPERPARAMETERS = {
    "ppo": {"n_steps": 64, "batch_size": 1024, "n_epochs": 5, "learning_rate": 3e-4, "gamma": 0.9,
            "gae_lambda": 0.9, "policy_kwargs": {"net_arch": [256, 256], "log_std_init": -1.0}},
    "sac": {"buffer_size": 300_000, "batch_size": 256, "learning_starts": 10_000, "learning_rate": 3e-4,
            "gamma": 0.9, "train_freq": 1, "gradient_steps": 4, "policy_kwargs": {"net_arch": [256, 256]}},
}
N_ENVS = {"ppo": 64, "sac": 16}


class RLTrainConfig(ConfigModel):
    """One training run; `n_envs` defaults to the algorithm's `N_ENVS`."""

    algo: str
    steps: int = Field(ge=1)
    out: Path
    env_options: dict[str, Any] = Field(default_factory=dict)
    n_envs: int = Field(None, ge=1, validate_default=True)
    eval_every: int = Field(100_000, ge=1)
    eval_episodes: int = Field(16, ge=1)
    checkpoint_every: int = Field(250_000, ge=1)
    seed: int = 0
    threads: int = Field(1, ge=1)
    resume: bool = False
    progress: bool = True
    hyperparameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("algo")
    @classmethod
    def _known(cls, algo: str) -> str:
        if algo not in HYPERPARAMETERS:
            raise ValueError(f"unknown algorithm; choose one of {', '.join(HYPERPARAMETERS)}")
        return algo

    @field_validator("n_envs", mode="before")
    @classmethod
    def _default_envs(cls, n_envs: int | None, info: ValidationInfo) -> int | None:
        algo = info.data.get("algo")
        return N_ENVS[algo] if n_envs is None and algo in N_ENVS else n_envs


def _checkpoints(out: Path) -> list[Path]:
    return sorted((out / "checkpoints").glob("step_*.zip"))


def _save_model(model, path: Path) -> None:
    with atomic_write(path) as handle:
        model.save(handle)


def _write_json(path: Path, data) -> None:
    with atomic_write(path, "w") as handle:
        json.dump(data, handle, indent=2)


def _callbacks(config: RLTrainConfig, eval_env, history: dict, started: float):
    """Checkpoints, and an EvalCallback on its own env that also records the landmark errors."""
    from stable_baselines3.common.callbacks import BaseCallback, CallbackList, EvalCallback

    out = config.out

    class Checkpoint(BaseCallback):
        """Atomic checkpoints every `checkpoint_every` steps; the two newest are kept."""

        def __init__(self) -> None:
            super().__init__()
            self.last = 0

        def _on_training_start(self) -> None:
            self.last = self.num_timesteps

        def _on_step(self) -> bool:
            if self.num_timesteps - self.last >= config.checkpoint_every:
                self.save()
            return True

        def save(self) -> None:
            self.last = self.num_timesteps
            path = out / "checkpoints" / f"step_{self.num_timesteps:010d}.zip"
            _save_model(self.model, path)
            if hasattr(self.model, "replay_buffer"):
                with atomic_write(path.with_suffix(".replay.pkl")) as handle:
                    self.model.save_replay_buffer(handle)
            history["elapsed_s"] = history_elapsed()
            _write_json(out / "evaluations.json", history)
            for old in _checkpoints(out)[:-2]:
                old.unlink()
                old.with_suffix(".replay.pkl").unlink(missing_ok=True)

    class Record(BaseCallback):
        """After each evaluation: the reachable error of the eval env, a human-target run, the curve."""

        def _on_step(self) -> bool:
            parent = self.parent
            entry = {"steps": int(self.num_timesteps), "elapsed_s": round(history_elapsed(), 1),
                     "mean_return": float(parent.last_mean_reward),
                     "reachable_error_mm": eval_env.unwrapped.mean_landmark_error_mm}
            if history.get("human_neutral_error_mm") is not None:
                entry["human_error_mm"] = evaluate(model_predict(self.model), config.env_options, "human",
                                                   config.eval_episodes)["landmark_error_mm"]
            history["evaluations"].append(entry)
            _write_json(out / "evaluations.json", history)
            self.logger.record("eval/landmark_error_mm", entry["reachable_error_mm"])
            if "human_error_mm" in entry:
                self.logger.record("eval/human_landmark_error_mm", entry["human_error_mm"])
            return True

    class SaveBest(BaseCallback):
        def _on_step(self) -> bool:
            _save_model(self.model, out / "best.zip")
            return True

    base_elapsed = history.get("elapsed_s", 0.0)

    def history_elapsed() -> float:
        return base_elapsed + time.perf_counter() - started

    checkpoint = Checkpoint()
    evaluation = EvalCallback(eval_env, n_eval_episodes=config.eval_episodes,
                              eval_freq=max(config.eval_every // config.n_envs, 1), deterministic=True,
                              callback_after_eval=Record(), callback_on_new_best=SaveBest(), verbose=0)
    return CallbackList([checkpoint, evaluation]), checkpoint, history_elapsed


def train(config: RLTrainConfig) -> dict:
    """Train (or resume) and return the run's summary (also in evaluations.json)."""
    import torch
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecMonitor

    torch.set_num_threads(config.threads)
    out = config.out
    existing = _checkpoints(out)
    if existing and not config.resume:
        raise ConfigError(f"{out} already holds a run ({existing[-1].name}); pass --resume or choose another --out")
    if config.resume and not existing:
        raise ConfigError(f"{out}: nothing to resume (no checkpoints/step_*.zip)")
    model_face, _, _ = face_of(config.env_options.get("face"))
    spec = model_face.spec
    metadata_path = out / METADATA
    if config.resume:
        metadata = json.loads(metadata_path.read_text())
        if metadata["algo"] != config.algo:
            raise ConfigError(f"{out} holds a {metadata['algo']} run, not {config.algo}")
        config = config.model_copy(update={"env_options": metadata["env_options"]})
    else:
        metadata = {"algo": config.algo, "face": spec.name, "spec_digest": spec.digest,
                    "observation": OBSERVATION_LAYOUT, "env_options": config.env_options,
                    "hyperparameters": {**HYPERPARAMETERS[config.algo], **config.hyperparameters},
                    "n_envs": config.n_envs, "seed": config.seed, "steps": config.steps}
        _write_json(metadata_path, metadata)

    train_env = VecMonitor(MimicVecEnv(config.n_envs, **config.env_options))
    eval_options = {**config.env_options, "targets": "reachable"}
    eval_env = VecMonitor(MimicVecEnv(config.eval_episodes, reset_seed=EVAL_SEED, **eval_options))
    try:
        cls = algorithm(config.algo)
        if config.resume:
            history = json.loads((out / "evaluations.json").read_text())
            model = cls.load(existing[-1], env=train_env, device="cpu")
            replay = existing[-1].with_suffix(".replay.pkl")
            if hasattr(model, "replay_buffer") and replay.is_file():
                model.load_replay_buffer(replay)
            train_env.seed(config.seed + model.num_timesteps)  # fresh episodes, not the first ones again
        else:
            history = {"evaluations": [], "elapsed_s": 0.0}
            for targets in ("reachable", "human"):
                try:
                    history[f"{targets}_neutral_error_mm"] = evaluate(
                        None, config.env_options, targets, config.eval_episodes)["landmark_error_mm"]
                except ConfigError:  # a face without human target files is trained and scored on reachable only
                    history[f"{targets}_neutral_error_mm"] = None
            model = cls("MlpPolicy", train_env, seed=config.seed, device="cpu", verbose=0,
                        **{**HYPERPARAMETERS[config.algo], **config.hyperparameters})
        model.set_logger(configure(str(out / "logs"), ["csv"]))
        callbacks, checkpoint, elapsed = _callbacks(config, eval_env, history, time.perf_counter())
        remaining = config.steps - model.num_timesteps
        if remaining > 0:
            model.learn(remaining, callback=callbacks, reset_num_timesteps=not config.resume,
                        progress_bar=config.progress)
        checkpoint.save()
        _save_model(model, out / "policy.zip")
        final = {"steps": int(model.num_timesteps), "elapsed_s": round(elapsed(), 1)}
        for targets in ("reachable", "human"):
            if history.get(f"{targets}_neutral_error_mm") is not None:
                final[f"{targets}_error_mm"] = evaluate(model_predict(model), config.env_options, targets,
                                                        config.eval_episodes)["landmark_error_mm"]
        history["final"] = final
        history["elapsed_s"] = final["elapsed_s"]
        _write_json(out / "evaluations.json", history)
        plot_learning_curve(history, out / "learning_curve.png", config.algo)
        return history
    finally:
        train_env.close()
        eval_env.close()


def plot_learning_curve(history: dict, path: Path, title: str = "") -> Path:
    """Landmark error on the fixed evaluation episodes against training steps, neutral face dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    entries = history["evaluations"]
    steps = np.array([e["steps"] for e in entries]) / 1e6
    figure, axis = plt.subplots(figsize=(7, 4), dpi=110)
    for key, label, color in (("reachable", "reachable targets", "tab:blue"), ("human", "human targets", "tab:orange")):
        neutral = history.get(f"{key}_neutral_error_mm")
        if neutral is None:
            continue
        values = [e.get(f"{key}_error_mm", np.nan) for e in entries]
        axis.plot(steps, values, color=color, marker="o", markersize=3, label=f"policy, {label}")
        axis.axhline(neutral, color=color, linestyle="--", linewidth=1, label=f"neutral face, {label}")
    if history.get("reachable_neutral_error_mm") is not None:
        axis.axhline(0.5 * history["reachable_neutral_error_mm"], color="grey", linestyle=":", linewidth=1,
                     label="half the neutral error (reachable)")
    axis.set_xlabel("training steps (millions)")
    axis.set_ylabel("mean landmark error (mm)")
    axis.set_ylim(bottom=0)
    axis.set_title(f"FaceMimic learning curve{', ' + title.upper() if title else ''}")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)

