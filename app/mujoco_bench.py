"""`facetwin bench --against mujoco`: the paths users wait on, side by side with MuJoCo's.

Each row is measured in rounds: a chunk of the twin's path, then a chunk of the peer's (in its own
process, `facetwin.app.mujoco_peer`), again and again, so that both see the same load. A round's
ratio is the twin's rate over the peer's; the row reports the median over rounds and the range.
Rates are per CPU-second of the measuring process (what the code costs, not what other jobs left
of the cores) and, beside them, per wall-clock second.

Rows: one `gym.make` env with random actions, resets counted (FaceMimic-v0 against Reacher-v5);
a 256x256 frame (`SimFace.render` against `mujoco.Renderer` on HalfCheetah, shadows and reflections
off, single sample), with the pixel env's steps/s beside it; the batched env at 1,024 faces
against `mujoco.rollout` of 1,024 HalfCheetah states (env-steps: HalfCheetah-v5's frame_skip of
5 physics steps each).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from tqdm import tqdm

from facetwin.app.mujoco_peer import PEER_ROWS, ROLLOUT_STATES, measure, random_steps
from facetwin.errors import FacetwinError

PEERS = {"one_env": "Reacher-v5, gym.make", "render": "mujoco.Renderer 256x256, HalfCheetah",
         "rollout": f"mujoco.rollout, {ROLLOUT_STATES} HalfCheetah states"}


def _one_env(**options) -> Callable[[], int]:
    return random_steps(gym.make("facetwin/FaceMimic-v0", **options))


def _render() -> Callable[[], int]:
    from facetwin.sim.sim_face import SimFace

    face = SimFace(width=256, height=256)
    face.reset()
    rng = np.random.default_rng(0)
    commands = rng.uniform(-1, 1, (8, face.spec.n_actuators)).astype(np.float32)
    counter = iter(range(10**12))

    def frame() -> int:
        face.step(commands[next(counter) % 8])
        face.render()
        return 1

    return frame


def _batched(num_envs: int) -> Callable[[], int]:
    from facetwin.envs.vector_env import FaceMimicVectorEnv

    envs = FaceMimicVectorEnv(num_envs)
    envs.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (16, *envs.action_space.shape)).astype(np.float32)
    counter = iter(range(10**12))

    def step() -> int:
        envs.step(actions[next(counter) % 16])
        return num_envs

    return step


class _Peer:
    """The MuJoCo worker process: asks it for one chunk of a row at a time."""

    def __init__(self):
        env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "osmesa")}
        env["PYOPENGL_PLATFORM"] = env["MUJOCO_GL"]
        # MuJoCo writes its warnings (HalfCheetah's deprecated settotalmass) to MUJOCO_LOG.TXT in
        # the working folder; that folder is a temporary one, not the user's.
        self._folder = tempfile.TemporaryDirectory(prefix="facetwin-mujoco-")
        self.process = subprocess.Popen([sys.executable, "-m", "facetwin.app.mujoco_peer"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=env, cwd=self._folder.name)

    def measure(self, row: str, seconds: float) -> dict:
        self.process.stdin.write(json.dumps({"row": row, "seconds": seconds}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise FacetwinError(f"the MuJoCo peer stopped while measuring {row!r} (its error is printed above)")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self._folder.cleanup()


def _rates(chunk: dict) -> tuple[float, float]:
    return chunk["items"] / chunk["cpu"], chunk["items"] / chunk["wall"]


def _spread(values: list[float]) -> dict:
    return {"median": float(np.median(values)), "min": float(min(values)), "max": float(max(values))}


def against_mujoco(rounds: int = 5, seconds: float = 1.0, num_envs: int = ROLLOUT_STATES) -> dict:
    """Every row, interleaved round by round with the peer; then the pixel env's steps/s."""
    if importlib.util.find_spec("mujoco") is None:
        raise FacetwinError("--against mujoco needs MuJoCo: pip install 'facetwin[mujoco]'")
    ours = {"one_env": _one_env, "render": _render, "rollout": lambda: _batched(num_envs)}
    peer = _Peer()
    results = {}
    try:
        with tqdm(total=len(PEER_ROWS) * rounds, desc="against mujoco", unit="round") as bar:
            for row in PEER_ROWS:
                call = ours[row]()
                call()  # warm-up
                twin, other = [], []
                for _ in range(rounds):
                    twin.append(_rates(measure(call, seconds)))
                    other.append(_rates(peer.measure(row, seconds)))
                    bar.update()
                results[row] = {
                    "peer": PEERS[row],
                    "facetwin_per_cpu_second": _spread([t[0] for t in twin]),
                    "peer_per_cpu_second": _spread([p[0] for p in other]),
                    "facetwin_per_second": _spread([t[1] for t in twin]),
                    "peer_per_second": _spread([p[1] for p in other]),
                    "ratio_per_cpu_second": _spread([t[0] / p[0] for t, p in zip(twin, other)]),
                    "ratio_per_second": _spread([t[1] / p[1] for t, p in zip(twin, other)]),
                }
    finally:
        peer.close()
    pixels = measure(_one_env(pixels=True), seconds * rounds)
    results["pixel_env"] = {"per_cpu_second": pixels["items"] / pixels["cpu"],
                            "per_second": pixels["items"] / pixels["wall"]}
    results["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["rounds"], results["seconds_per_chunk"] = rounds, seconds
    return results


def table_rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(path, facetwin, peer, ratio) per row, rates per CPU-second, ratio as median (range)."""
    names = {"one_env": "one gym.make env (steps/s)", "render": "render 256x256 (frames/s)",
             "rollout": f"batched env, {ROLLOUT_STATES} faces (env-steps/s)"}
    rows = []
    for row, name in names.items():
        r = results[row]
        ratio = r["ratio_per_cpu_second"]
        rows.append((name, f"{r['facetwin_per_cpu_second']['median']:,.0f}",
                     f"{r['peer']} {r['peer_per_cpu_second']['median']:,.0f}",
                     f"{ratio['median']:.2f} ({ratio['min']:.2f}-{ratio['max']:.2f})"))
    return rows
