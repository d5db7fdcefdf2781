"""The batched vector env steps exactly like N single envs, in every autoreset mode."""

from __future__ import annotations

import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from facetwin.command import validate_command
from facetwin.envs import FaceMimicVectorEnv
from facetwin.errors import BackendError, CommandError, ConfigError

N = 4
OPTIONS = {"episode_steps": 9, "targets": "mix", "randomization": "default"}


def _pair(mode, **options):
    native = gym.make_vec("facetwin/FaceMimic-v0", num_envs=N, autoreset_mode=mode, **options)
    sync = gym.make_vec("facetwin/FaceMimic-v0", num_envs=N, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": mode}, **options)
    return native, sync


def _same_info(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for key, value in a.items():
        if isinstance(value, dict):
            _same_info(value, b[key])
        elif key == "final_obs":
            for x, y in zip(value, b[key]):
                assert (x is None and y is None) or np.allclose(x, y, atol=1e-5)
        else:
            assert np.allclose(value, b[key], atol=1e-4), key


def test_make_vec_builds_the_native_batched_env():
    envs = gym.make_vec("facetwin/FaceMimic-v0", num_envs=3)
    assert isinstance(envs.unwrapped, FaceMimicVectorEnv)
    assert envs.observation_space.shape == (3, *envs.single_observation_space.shape)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    envs.close()
    envs.close()


@pytest.mark.parametrize("options", [{"episode_steps": 9}, OPTIONS])
@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_batched_equals_n_single_envs(mode, options):
    native, sync = _pair(mode, **options)
    obs_a, info_a = native.reset(seed=21)
    obs_b, info_b = sync.reset(seed=21)
    assert np.allclose(obs_a, obs_b, atol=1e-5)
    _same_info(info_a, info_b)
    rng = np.random.default_rng(0)
    for _ in range(25):  # more than two episodes, so autoreset is compared too
        actions = rng.uniform(-1, 1, (N, 26)).astype(np.float32)
        a, b = native.step(actions), sync.step(actions)
        assert np.allclose(a[0], b[0], atol=1e-5)
        assert np.allclose(a[1], b[1], atol=1e-6)
        assert np.array_equal(a[2], b[2]) and np.array_equal(a[3], b[3])
        _same_info(a[4], b[4])
    native.close()
    sync.close()


def test_disabled_autoreset_and_reset_mask():
    envs = FaceMimicVectorEnv(N, autoreset_mode="Disabled", episode_steps=3)
    envs.reset(seed=0)
    for _ in range(3):
        _, _, _, truncated, _ = envs.step(np.zeros((N, 26), dtype=np.float32))
    assert truncated.all()
    with pytest.raises(BackendError, match="reset_mask"):
        envs.step(np.zeros((N, 26), dtype=np.float32))
    mask = np.array([True, False, True, False])
    obs, info = envs.reset(options={"reset_mask": mask})
    assert np.array_equal(info["_landmark_error_mm"], mask)
    with pytest.raises(BackendError):
        envs.step(np.zeros((N, 26), dtype=np.float32))  # rows 1 and 3 still wait
    envs.reset(options={"reset_mask": ~mask})
    envs.step(np.zeros((N, 26), dtype=np.float32))
    envs.close()


def test_partial_reset_matches_a_fresh_single_env():
    envs = FaceMimicVectorEnv(N, autoreset_mode="Disabled", episode_steps=6)
    envs.reset(seed=0)
    for _ in range(4):
        envs.step(np.full((N, 26), 0.3, dtype=np.float32))
    mask = np.array([False, True, False, False])
    obs, _ = envs.reset(seed=[None, 77, None, None], options={"reset_mask": mask})
    single = gym.make("facetwin/FaceMimic-v0", episode_steps=6)
    expected, _ = single.reset(seed=77)
    assert np.allclose(obs[1], expected, atol=1e-5)
    action = np.linspace(-1, 1, 26, dtype=np.float32)
    step = envs.step(np.tile(action, (N, 1)))
    assert np.allclose(step[0][1], single.step(action)[0], atol=1e-5)
    envs.close()
    single.close()


def test_pixels_and_render():
    envs = FaceMimicVectorEnv(2, render_mode="rgb_array", pixels=True, image_size=48, render_size=64, episode_steps=4)
    obs, _ = envs.reset(seed=0)
    assert obs["pixels"].shape == (2, 3, 48, 48) and obs["state"].shape[0] == 2
    frames = envs.render()
    assert len(frames) == 2 and frames[0].shape == (64, 128, 3)
    envs.close()
    envs.close()


def test_pickles_and_continues_identically():
    envs = FaceMimicVectorEnv(3, **OPTIONS)
    envs.reset(seed=4)
    clone = pickle.loads(pickle.dumps(envs))
    actions = np.random.default_rng(1).uniform(-1, 1, (12, 3, 26)).astype(np.float32)
    for step in actions:
        assert np.array_equal(envs.step(step)[0], clone.step(step)[0])
    envs.close()
    clone.close()


def test_bad_inputs():
    with pytest.raises(ConfigError, match="sync"):
        FaceMimicVectorEnv(2, backend="emulated:maestro")
    with pytest.raises(ConfigError, match="autoreset_mode"):
        FaceMimicVectorEnv(2, autoreset_mode="sometimes")
    with pytest.raises(ConfigError, match="num_envs"):
        FaceMimicVectorEnv(0)
    envs = FaceMimicVectorEnv(2, episode_steps=4)
    with pytest.raises(BackendError, match="reset"):
        envs.step(np.zeros((2, 26), dtype=np.float32))
    envs.reset(seed=0)
    bad = np.zeros((2, 26), dtype=np.float32)
    bad[1, 22] = np.nan
    with pytest.raises(CommandError, match="command 1 of 2 .*jaw_open"):
        envs.step(bad)
    with pytest.raises(CommandError, match="shape"):
        envs.step(np.zeros((3, 26), dtype=np.float32))
    envs.close()


def test_actions_pass_the_gate_every_command_passes():
    """Booleans, numeric strings and complex numbers are refused as `validate_command` refuses them
    (NumPy alone would cast them to floats); integers are numbers."""
    envs = FaceMimicVectorEnv(2, episode_steps=4)
    envs.reset(seed=0)
    n = envs.single_action_space.shape[0]
    for bad in (np.ones((2, n), dtype=bool), np.full((2, n), "0.5"), np.full((2, n), 0.5 + 0j)):
        with pytest.raises(CommandError, match=rf"^batch of commands has dtype {bad.dtype}, expected real numbers"):
            envs.step(bad)
        with pytest.raises(CommandError, match=rf"^command has dtype {bad.dtype}, expected real numbers"):
            validate_command(envs.spec_face, bad[0])
    envs.step(np.zeros((2, n), dtype=np.int64))
    envs.close()


def test_large_batch_agrees_with_small_batches():
    """The batch of 64 takes BLAS products, small batches numpy's own loops: same results."""
    big = FaceMimicVectorEnv(64, episode_steps=5)
    small = FaceMimicVectorEnv(2, episode_steps=5)
    obs_big, _ = big.reset(seed=100)
    obs_small, _ = small.reset(seed=100)
    assert np.allclose(obs_big[:2], obs_small, atol=1e-4)
    actions = np.random.default_rng(3).uniform(-1, 1, (64, 26)).astype(np.float32)
    a, b = big.step(actions), small.step(actions[:2])
    assert np.allclose(a[0][:2], b[0], atol=1e-4) and np.allclose(a[1][:2], b[1], atol=1e-6)
    big.close()
    small.close()


def test_benchmarks_run():
    from facetwin.envs.bench import bench_envs

    result = bench_envs(num_envs=8, seconds=0.05)
    assert set(result) == {"vector", "vector_mix", "single"}
    assert all(r["per_second"] > 0 and r["calls"] >= 3 for r in result.values())
