"""How well a policy mimics: mean landmark error over fixed episodes, beside the neutral face.

An evaluation runs `episodes` episodes at once, one per row of the batched env, with fixed seeds,
so two policies (or a policy and the neutral face, which holds the neutral command throughout)
are scored on exactly the same targets. Reachable targets are the twin's own expressions; human
targets replay the retargeted files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from gymnasium.vector import AutoresetMode
from tqdm import tqdm

from facetwin.agents.rl.policy import load_model
from facetwin.atomic import atomic_write
from facetwin.envs.vector_env import FaceMimicVectorEnv
from facetwin.errors import ConfigError

EVAL_SEED = 1_000_000
"""Evaluation episodes are seeded from here, far from the seeds training uses."""

Predict = Callable[[np.ndarray], np.ndarray]


def evaluate(predict: Predict | None, env_options: dict, targets: str, episodes: int = 32,
             seed: int = EVAL_SEED, progress: bool = False) -> dict:
    """Run one episode per row on `targets`; `predict(obs) -> actions` (None: the neutral face).
    Returns the mean and per-region landmark errors (mm) over every step, and the mean return."""
    options = {**env_options, "targets": targets}
    env = FaceMimicVectorEnv(episodes, autoreset_mode=AutoresetMode.DISABLED, **options)
    try:
        obs, _ = env.reset(seed=seed)
        neutral = np.tile(env.spec_face.neutral_command, (episodes, 1))
        total = np.zeros(episodes)
        errors, regions = [], {name: [] for name in env.task.space.regions}
        for _ in tqdm(range(env.config.episode_steps), desc=f"evaluate on {targets} targets", disable=not progress,
                      leave=False):
            obs, reward, _, truncated, info = env.step(neutral if predict is None else predict(obs))
            total += reward
            errors.append(info["landmark_error_mm"])
            for name in regions:
                regions[name].append(info["region_error_mm"][name])
        if not truncated.all():
            raise RuntimeError("evaluation episodes did not end together")
    finally:
        env.close()
    return {
        "targets": targets,
        "episodes": episodes,
        "steps_per_episode": env.config.episode_steps,
        "landmark_error_mm": float(np.mean(errors)),
        "region_error_mm": {name: float(np.mean(values)) for name, values in regions.items()},
        "mean_return": float(total.mean()),
    }


def model_predict(model) -> Predict:
    return lambda obs: model.predict(obs, deterministic=True)[0]


def evaluate_policy_file(path: str | Path, targets: str = "reachable", episodes: int = 32, seed: int = EVAL_SEED,
                         json_path: str | Path | None = None) -> dict:
    """Score a saved policy and the neutral face on the same episodes; optionally write JSON."""
    if targets not in ("reachable", "human", "mix"):
        raise ConfigError(f"targets must be reachable, human or mix, not {targets!r}")
    if episodes < 1:
        raise ConfigError(f"episodes must be at least 1, got {episodes}")
    model, metadata = load_model(path)
    options = dict(metadata.get("env_options", {}))
    policy = evaluate(model_predict(model), options, targets, episodes, seed, progress=True)
    neutral = evaluate(None, options, targets, episodes, seed)
    result = {
        "policy": str(path),
        "algo": metadata.get("algo"),
        "trained_steps": int(model.num_timesteps),
        "targets": targets,
        "episodes": episodes,
        "seed": seed,
        "policy_error_mm": policy["landmark_error_mm"],
        "neutral_error_mm": neutral["landmark_error_mm"],
        "ratio_to_neutral": policy["landmark_error_mm"] / neutral["landmark_error_mm"],
        "policy_region_error_mm": policy["region_error_mm"],
        "neutral_region_error_mm": neutral["region_error_mm"],
        "policy_mean_return": policy["mean_return"],
        "neutral_mean_return": neutral["mean_return"],
    }
    if json_path is not None:
        with atomic_write(json_path, "w") as handle:
            json.dump(result, handle, indent=2)
    return result
