"""RL on the twin: the SB3 adapter, `facetwin train rl` (+ resume) and `facetwin eval` through the
CLI, and the RL policy behind the Policy interface."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from facetwin.app.cli import app
from facetwin.errors import ConfigError
from facetwin.sim import SimFace
from tests.guards import time_limit


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny PPO run through the CLI, then resumed to more steps."""
    out = tmp_path_factory.mktemp("rl") / "ppo"
    runner = CliRunner()
    common = ["--algo", "ppo", "--out", str(out), "--envs", "16", "--episode-steps", "20", "--eval-every", "1024",
              "--eval-episodes", "2", "--checkpoint-every", "1024", "--no-progress"]
    with time_limit(240):
        first = runner.invoke(app, ["train", "rl", "--steps", "2048", *common])
        assert first.exit_code == 0, first.output
        again = runner.invoke(app, ["train", "rl", "--steps", "2048", *common])
        resumed = runner.invoke(app, ["train", "rl", "--steps", "4096", "--resume", *common])
    return out, first, again, resumed


def test_train_writes_a_complete_run(trained):
    out, first, _, _ = trained
    assert "reachable targets:" in first.output and "human targets:" in first.output
    files = ("policy.zip", "policy.json", "best.zip", "evaluations.json", "learning_curve.png", "logs/progress.csv")
    for name in files:
        assert (out / name).is_file(), name
    metadata = json.loads((out / "policy.json").read_text())
    assert metadata["algo"] == "ppo" and metadata["env_options"]["episode_steps"] == 20
    assert 1 <= len(list((out / "checkpoints").glob("step_*.zip"))) <= 2
    assert not list(out.rglob("*.tmp"))


def test_a_run_is_not_overwritten_and_resumes(trained):
    out, _, again, resumed = trained
    assert isinstance(again.exception, ConfigError) and "--resume" in str(again.exception)
    assert resumed.exit_code == 0, resumed.output
    history = json.loads((out / "evaluations.json").read_text())
    assert history["final"]["steps"] >= 4096
    steps = [e["steps"] for e in history["evaluations"]]
    assert steps == sorted(steps) and steps[-1] > 2048  # the curve continues across the resume
    for entry in history["evaluations"]:
        assert entry["reachable_error_mm"] > 0 and entry["human_error_mm"] > 0


def test_eval_scores_the_policy_against_the_neutral_face(trained, tmp_path):
    out = trained[0]
    report = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["eval", "--policy", str(out / "policy.zip"), "--targets", "human",
                                      "--episodes", "3", "--json", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["targets"] == "human" and data["episodes"] == 3
    assert data["ratio_to_neutral"] == pytest.approx(data["policy_error_mm"] / data["neutral_error_mm"])
    assert set(data["policy_region_error_mm"]) == {"brows", "lids", "eyes", "cheeks", "nose", "mouth", "jaw"}
    missing = subprocess.run([sys.executable, "-m", "facetwin.app.cli", "eval", "--policy", str(tmp_path / "none.zip")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.startswith("facetwin: error:")
    assert "no such policy file" in missing.stderr and "Traceback" not in missing.stderr


def test_rl_policy_sees_exactly_the_env_observation(trained):
    import gymnasium as gym

    from facetwin.agents.rl.policy import RLPolicy

    out = trained[0]
    with SimFace() as twin:
        env = gym.make("facetwin/FaceMimic-v0", backend=twin, episode_steps=20, targets="mix").unwrapped
        policy = RLPolicy(twin.spec, out / "policy.zip")
        obs, _ = env.reset(seed=3)
        driver = env._driver
        for _ in range(10):
            policy._previous = driver.prev_action.copy()
            built = policy.observation(driver.target_landmarks(), driver.observation)
            assert np.allclose(built, obs, atol=1e-4)
            obs, *_ = env.step(policy.act(driver.target_landmarks(), driver.observation))
        env.close()
    command = policy.act(twin.model.neutral_landmarks)
    assert command.shape == (26,) and command.dtype == np.float32
    assert np.all(command[-3:] == twin.spec.neutral_command[-3:])  # the neck is left neutral


def test_rl_policy_refuses_another_face(trained, model):
    from dataclasses import replace

    from facetwin.agents.rl.policy import RLPolicy

    other = replace(model.spec, name="other", control_hz=50.0)
    with pytest.raises(ConfigError, match="trained for face"):
        RLPolicy(other, trained[0] / "policy.zip")


def test_sb3_adapter_follows_the_vecenv_protocol():
    from facetwin.agents.rl.vec_env import MimicVecEnv

    env = MimicVecEnv(3, episode_steps=4)
    env.seed(5)
    first = env.reset()
    env.seed(5)
    assert np.array_equal(env.reset(), first)
    for _ in range(4):
        obs, rewards, dones, infos = env.step(np.zeros((3, 26), dtype=np.float32))
        assert rewards.dtype == np.float32 and len(infos) == 3
    assert dones.all()
    assert all("terminal_observation" in i and i["TimeLimit.truncated"] for i in infos)
    assert not np.array_equal(infos[0]["terminal_observation"], obs[0])  # obs is the next episode's start
    assert env.mean_landmark_error_mm > 0
    assert env.get_attr("num_envs") == [3, 3, 3] and env.env_is_wrapped(object) == [False] * 3
    env.close()


def test_sac_checkpoints_its_replay_buffer_and_resumes(tmp_path):
    from facetwin.agents.rl.train import RLTrainConfig, train

    def config(steps, resume=False):
        return RLTrainConfig(algo="sac", steps=steps, out=tmp_path / "sac", env_options={"episode_steps": 10},
                             n_envs=4, eval_every=200, eval_episodes=2, checkpoint_every=200, resume=resume,
                             progress=False, hyperparameters={"learning_starts": 50, "buffer_size": 1000,
                                                              "batch_size": 32, "gradient_steps": 1})

    with time_limit(240):
        train(config(240))
        replays = list((tmp_path / "sac" / "checkpoints").glob("*.replay.pkl"))
        assert replays and replays[-1].stat().st_size > 1000
        history = train(config(480, resume=True))
    assert history["final"]["steps"] >= 480
    assert json.loads((tmp_path / "sac" / "policy.json").read_text())["algo"] == "sac"


def test_bad_training_settings():
    from facetwin.agents.rl.train import RLTrainConfig

    with pytest.raises(ConfigError, match="unknown algorithm"):
        RLTrainConfig(algo="dqn", steps=10, out="x")
    with pytest.raises(ConfigError, match="steps"):
        RLTrainConfig(algo="ppo", steps=0, out="x")
