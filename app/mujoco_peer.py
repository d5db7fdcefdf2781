"""MuJoCo's side of `facetwin bench --against mujoco`, run as its own process.

pyrender pins PyOpenGL 3.1.0, whose EGL module lacks the device extension that MuJoCo's EGL
backend needs, and PyOpenGL binds one GL platform per process; so the peer lives in a process of
its own (on OSMesa, Mesa's llvmpipe rasteriser like the twin's EGL device) and measures on
request, which lets the parent interleave its own chunks with the peer's. The peers' models are
the ones Gymnasium ships (Reacher-v5, HalfCheetah-v5), so every rerun compares the same thing.

Protocol: one JSON request per line on stdin, `{"row": ROW, "seconds": S}`, answered by one JSON
line `{"items": N, "wall": seconds, "cpu": CPU-seconds}`; ROW is one of PEER_ROWS.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

import numpy as np

RENDER_SIZE = 256
ROLLOUT_STATES = 1024


def _one_env() -> Callable[[], int]:
    """Reacher-v5 through `gym.make` and its default wrappers, random actions, resets counted."""
    import gymnasium as gym

    return random_steps(gym.make("Reacher-v5"))


def random_steps(env) -> Callable[[], int]:
    """One step of `env` per call with seeded random actions, reset when an episode ends: the one-env
    row's loop, the same for the twin's env and the peer's."""
    env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (256, *env.action_space.shape)).astype(np.float32)
    counter = iter(range(10**12))

    def step() -> int:
        if env.step(actions[next(counter) % 256])[3]:
            env.reset()
        return 1

    return step


def _half_cheetah():
    import gymnasium.envs.mujoco as gym_mujoco
    import mujoco

    path = os.path.join(os.path.dirname(gym_mujoco.__file__), "assets", "half_cheetah.xml")
    model = mujoco.MjModel.from_xml_path(path)
    return mujoco, model, mujoco.MjData(model)


def _render() -> Callable[[], int]:
    """`mujoco.Renderer` at 256x256 on HalfCheetah, shadows and reflections off, single sample."""
    mujoco, model, data = _half_cheetah()
    model.vis.quality.offsamples = 0
    renderer = mujoco.Renderer(model, RENDER_SIZE, RENDER_SIZE)
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
    rng = np.random.default_rng(0)
    poses = [rng.uniform(-0.3, 0.3, model.nq) for _ in range(8)]
    counter = iter(range(10**12))

    def frame() -> int:
        data.qpos[:] = poses[next(counter) % 8]
        mujoco.mj_forward(model, data)
        renderer.update_scene(data)
        renderer.render()
        return 1

    return frame


def _rollout() -> Callable[[], int]:
    """`mujoco.rollout` of 1,024 HalfCheetah states, one env-step (the env's frame_skip of 5
    physics steps) per call, random controls."""
    mujoco, model, data = _half_cheetah()
    from mujoco import rollout

    frame_skip = 5
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    mujoco.mj_resetData(model, data)
    start = np.empty(mujoco.mj_stateSize(model, spec))
    mujoco.mj_getState(model, data, start, spec)
    rng = np.random.default_rng(0)
    states = np.tile(start, (ROLLOUT_STATES, 1))
    states[:, 1 : 1 + model.nq] += rng.uniform(-0.1, 0.1, (ROLLOUT_STATES, model.nq))
    controls = rng.uniform(-1, 1, (ROLLOUT_STATES, frame_skip, model.nu))

    def step() -> int:
        out, _ = rollout.rollout(model, data, states, controls)
        states[:] = out[:, -1]
        return ROLLOUT_STATES

    return step


PEER_ROWS: dict[str, Callable[[], Callable[[], int]]] = {"one_env": _one_env, "render": _render,
                                                         "rollout": _rollout}


def measure(call: Callable[[], int], seconds: float) -> dict:
    """Run `call` for at least `seconds` (and three calls): items done, wall and CPU seconds."""
    items, calls = 0, 0
    start, cpu = time.perf_counter(), time.process_time()
    while calls < 3 or time.perf_counter() - start < seconds:
        items += call()
        calls += 1
    return {"items": items, "wall": time.perf_counter() - start, "cpu": time.process_time() - cpu}


def serve() -> None:
    ready: dict[str, Callable[[], int]] = {}
    for line in sys.stdin:
        request = json.loads(line)
        row = request["row"]
        if row not in ready:
            ready[row] = PEER_ROWS[row]()
            ready[row]()  # warm-up
        print(json.dumps(measure(ready[row], float(request["seconds"]))), flush=True)


if __name__ == "__main__":
    serve()
