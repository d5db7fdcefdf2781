"""The mimic environments: registered ids, the Gymnasium and SB3 checkers, determinism, closing,
pickling, targets and their optimum, options and their errors."""

from __future__ import annotations

import functools
import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest

import facetwin
from facetwin.app.backends import open_backend
from facetwin.errors import CommandError, ConfigError
from facetwin.sim import SimFace
from facetwin.target_sequence import TargetSequence
from tests.guards import time_limit

SHORT = {"episode_steps": 12}


def _checker_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if "env_checker" in (w.filename or "")]


def test_ids_are_registered_when_facetwin_is_imported():
    from facetwin.envs import ENV_IDS

    assert ENV_IDS == facetwin.ENV_IDS and len(ENV_IDS) >= 2
    for env_id in ENV_IDS:
        assert env_id in gym.registry
        assert gym.registry[env_id].vector_entry_point is not None


@pytest.mark.parametrize("env_id", facetwin.ENV_IDS)
def test_gymnasium_check_env(env_id):
    from gymnasium.utils.env_checker import check_env

    with time_limit(120), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = gym.make(env_id, **SHORT)
        check_env(env.unwrapped)
        env.close()
    assert _checker_warnings(caught) == []


@pytest.mark.parametrize("env_id", facetwin.ENV_IDS)
def test_sb3_check_env(env_id):
    from stable_baselines3.common.env_checker import check_env

    with time_limit(120), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = gym.make(env_id, **SHORT)
        check_env(env)
        env.close()
    assert _checker_warnings(caught) == []


@pytest.mark.parametrize("env_id", facetwin.ENV_IDS)
def test_spaces_and_a_rollout(env_id):
    env = gym.make(env_id, **SHORT)
    spec = env.unwrapped.spec_face
    assert env.action_space.shape == (spec.n_actuators,) and env.action_space.dtype == np.float32
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert set(info) == {"landmark_error_mm", "region_error_mm", "human_target", "face_visible"}
    truncated, steps = False, 0
    while not truncated:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        steps += 1
        assert env.observation_space.contains(obs) and not terminated
        assert np.isfinite(reward) and reward <= 0.0
        assert info["landmark_error_mm"] >= 0.0
        assert set(info["region_error_mm"]) == set(spec.regions) - {"static"}
    assert steps == SHORT["episode_steps"]
    if isinstance(obs, dict):
        assert obs["pixels"].shape == (3, 84, 84) and obs["pixels"].dtype == np.uint8
        assert obs["pixels"].std() > 5  # a face, not a blank frame
    env.close()


@pytest.mark.parametrize("options", [{}, {"targets": "mix", "randomization": "default"}])
def test_seeded_resets_are_deterministic(options):
    def rollout(seed):
        env = gym.make("facetwin/FaceMimic-v0", **SHORT, **options)
        env.action_space.seed(7)
        trace = [env.reset(seed=seed)[0]]
        for _ in range(30):  # crosses episode ends
            obs, reward, _, truncated, _ = env.step(env.action_space.sample())
            trace += [obs, np.array([reward])]
            if truncated:
                trace.append(env.reset()[0])
        env.close()
        return np.concatenate(trace)

    first, again, other = rollout(3), rollout(3), rollout(4)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("env_id", facetwin.ENV_IDS)
def test_close_twice_and_pickle(env_id):
    env = gym.make(env_id, render_mode="rgb_array", **SHORT)
    obs, _ = env.reset(seed=5)
    clone = pickle.loads(pickle.dumps(env))
    action = np.zeros(env.action_space.shape, dtype=np.float32)
    a = env.step(action)[0]
    b = clone.step(action)[0]
    if isinstance(a, dict):
        assert np.array_equal(a["state"], b["state"])
    else:
        assert np.array_equal(a, b)
    assert clone.render().shape == (256, 512, 3)
    for e in (env, clone):
        e.close()
        e.close()
    with pytest.raises(facetwin.errors.BackendError):
        env.step(action)


def test_render_shows_the_face_beside_its_target():
    env = gym.make("facetwin/FaceMimic-v0", render_mode="rgb_array", render_size=96, targets="human", **SHORT)
    env.reset(seed=1)
    frame = env.render()
    assert frame.shape == (96, 192, 3) and frame.dtype == np.uint8
    left, right = frame[:, :96], frame[:, 96:]
    assert left.std() > 5 and right.std() > 5
    env.close()


@pytest.mark.parametrize("randomization", [None, {"skin_gain": 0.2, "servo_latency_ms": 30.0, "servo_lag": 0.5}])
def test_reachable_targets_have_a_zero_error_optimum(randomization):
    """Sending the commands that made the targets reproduces them, randomised face or not."""
    env = gym.make("facetwin/FaceMimic-v0", episode_steps=60, randomization=randomization).unwrapped
    _, info = env.reset(seed=11)
    batch = env._twin
    errors, neutral = [], []
    for t in range(60):
        command = batch.commands[0, batch.segment[0, t]]
        _, reward, _, _, info = env.step(command)
        errors.append(info["landmark_error_mm"])
    assert max(errors) < 1e-3
    env.reset(seed=11)
    for _ in range(60):
        neutral.append(env.step(env.spec_face.neutral_command)[4]["landmark_error_mm"])
    assert np.mean(neutral) > 0.3
    env.close()


def test_the_twin_path_steps_exactly_like_simface_through_the_contract():
    options = {"episode_steps": 20, "targets": "mix", "randomization": {"landmark_noise_mm": 0.2}}
    fast = gym.make("facetwin/FaceMimic-v0", **options)
    generic = gym.make("facetwin/FaceMimic-v0", backend=SimFace, **options)
    assert generic.unwrapped._twin is None and fast.unwrapped._twin is not None
    rng = np.random.default_rng(0)
    a, b = fast.reset(seed=2)[0], generic.reset(seed=2)[0]
    assert np.allclose(a, b, atol=1e-4)
    for _ in range(45):
        action = rng.uniform(-1, 1, 26).astype(np.float32)
        (a, ra, _, ta, ia), (b, rb, _, tb, ib) = fast.step(action), generic.step(action)
        assert np.allclose(a, b, atol=1e-4) and ra == pytest.approx(rb, abs=1e-6) and ta == tb
        assert ia["landmark_error_mm"] == pytest.approx(ib["landmark_error_mm"], abs=1e-4)
        if ta:
            assert np.allclose(fast.reset()[0], generic.reset()[0], atol=1e-4)
    fast.close()
    generic.close()


@pytest.mark.parametrize("backend, options", [
    ("sim", {"skin": "bullet"}),
    (functools.partial(open_backend, "emulated:maestro", camera=False, pacing=False), None)])
def test_other_faces_plug_in(backend, options):
    """The physics skin by name and hardware in the loop (down to the bus bytes) by a factory
    behind the same env."""
    with time_limit(120):
        env = gym.make("facetwin/FaceMimic-v0", backend=backend, backend_options=options, episode_steps=6)
        assert env.unwrapped._twin is None
        obs, info = env.reset(seed=0)
        truncated = False
        while not truncated:
            obs, reward, _, truncated, info = env.step(env.action_space.sample())
            assert env.observation_space.contains(obs) and np.isfinite(reward)
            assert info["face_visible"] and info["landmark_error_mm"] > 0
        env.close()
        env.close()


def test_a_backend_instance_is_not_closed_by_the_env():
    with SimFace() as twin:
        env = gym.make("facetwin/FaceMimic-v0", backend=twin, **SHORT)
        env.reset(seed=0)
        env.close()
        twin.reset()  # still open


def test_human_targets_replay_the_files(model):
    from facetwin.envs.landmark_space import LandmarkSpace
    from facetwin.envs.targets import default_target_files

    env = gym.make("facetwin/FaceMimic-v0", targets="human", **SHORT).unwrapped
    obs, info = env.reset(seed=0)
    assert info["human_target"]
    space = LandmarkSpace(model)
    sequence = TargetSequence.load(default_target_files(None)[0], model.spec)
    codes = space.encode(space.flatten(sequence.landmarks))
    # the observed target is one of the file's frames (resampled to 30 Hz: a blend of two neighbours)
    nearest = np.abs(codes - obs[: space.n_code]).max(axis=1).min()
    assert nearest < 0.5
    env.close()


def test_mix_draws_both_kinds():
    env = gym.make("facetwin/FaceMimic-v0", targets="mix", human_fraction=0.5, **SHORT)
    kinds = {env.reset(seed=s)[1]["human_target"] for s in range(12)}
    assert kinds == {True, False}
    env.close()


def test_randomisation_is_drawn_per_episode_from_the_seed():
    env = gym.make("facetwin/FaceMimic-v0", randomization="default", **SHORT).unwrapped

    def drawn(seed):
        env.reset(seed=seed)
        batch = env._twin
        servos = batch.twin.servos.params
        return batch.gains[0].copy(), servos.tau[0].copy(), servos.latency[0].copy()

    g1, t1, l1 = drawn(1)
    g2, t2, l2 = drawn(2)
    assert not np.allclose(g1, g2) and not np.allclose(t1, t2) and not np.allclose(l1, l2)
    assert np.allclose(drawn(1)[0], g1)
    assert np.all((g1 >= 0.9) & (g1 <= 1.1))
    env.close()


def _wrong_face_targets(tmp_path, model) -> str:
    frames = np.repeat(model.neutral_landmarks[None], 5, axis=0)
    path = tmp_path / "other_face.npz"
    TargetSequence(face="other", spec_digest="0123456789abcdef", landmarks=frames, visible=np.ones(5, bool),
                   time=np.arange(5) / 30.0, passthrough=np.full((5, 26), np.nan, np.float32)).save(path)
    return str(path)


@pytest.mark.parametrize("options, culprit", [
    ({"backend": "warp-drive"}, "unknown backend"),
    ({"randomization": {"landmark_noise_mm": -0.5}}, "landmark_noise_mm"),
    ({"randomization": "lots"}, "randomization"),
    ({"targets": "dreams"}, "targets"),
    ({"episode_steps": 0}, "episode_steps"),
    ({"hold_steps": (9, 3)}, "hold_steps"),
    ({"bogus": 1}, "bogus"),
    ({"render_mode": "human"}, "render_mode"),
    ({"targets": "human", "target_files": ["no/such/file.npz"]}, "no such target file"),
    ({"backend": SimFace, "randomization": "default"}, "fast twin only"),
])
def test_bad_options_get_one_line_errors(options, culprit):
    from facetwin.envs import FaceMimicEnv

    with pytest.raises(ConfigError) as error:
        FaceMimicEnv(**options)
    assert culprit in str(error.value) and "\n" not in str(error.value)


def test_a_target_file_of_another_face_is_refused(tmp_path, model):
    path = _wrong_face_targets(tmp_path, model)
    with pytest.raises(ConfigError, match="made for face 'other'"):
        gym.make("facetwin/FaceMimic-v0", targets="human", target_files=[path])


def test_bad_actions_are_rejected():
    env = gym.make("facetwin/FaceMimic-v0", **SHORT)
    env.reset(seed=0)
    with pytest.raises(CommandError, match="non-finite"):
        env.step(np.full(26, np.nan, dtype=np.float32))
    with pytest.raises(CommandError, match="shape"):
        env.step(np.zeros(3, dtype=np.float32))
    env.close()
