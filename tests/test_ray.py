"""Jobs on Ray: shard jobs write the bytes they write in this process, a dead worker costs its shard
only, a cluster nobody answers is one line, and a tiny RL sweep runs and resumes. Runs on a
two-node local cluster started here."""

from __future__ import annotations

import os
import sys
from functools import partial

import numpy as np
import pytest

from facetwin.agents.selfmodel.dataset import BabbleDataset, Manifest, record_dataset
from facetwin.errors import BackendError
from facetwin.shard_pool import ShardPool
from facetwin.sim import skin_fit
from facetwin.sim.sim_face import SimFace

ray = pytest.importorskip("ray")
MiB = 1024 * 1024


class DiesOnce:
    """Opens the twin, except the first time after `marker` is made: then the worker process dies."""

    def __init__(self, face: str, marker: str):
        self.face, self.marker = face, marker

    def __call__(self):
        if os.path.exists(self.marker):
            os.unlink(self.marker)
            os._exit(1)
        return SimFace(self.face)


def test_an_unreachable_cluster_is_one_line():
    assert not ray.is_initialized()
    with pytest.raises(BackendError, match=r"cannot reach the Ray cluster at '127.0.0.1:9'.*ray start --head"):
        list(ShardPool(1, "127.0.0.1:9").run(len, [[1]], [1], desc="x", unit="x", progress=False))


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False,
                                                          "object_store_memory": 80 * MiB})
    nodes.add_node(num_cpus=1, object_store_memory=80 * MiB)
    ray.init(address=nodes.address, include_dashboard=False, log_to_driver=False)
    yield nodes
    ray.shutdown()
    nodes.shutdown()


def _babble(model, out, pool, skin="fast", opener=None):
    """Two shards: the fewest that two workers share."""
    opener = opener or partial(SimFace, str(model.path), skin=skin)
    shard_size = 2 if skin == "fast" else 1
    with SimFace(model, skin=skin) as twin:
        return record_dataset(twin, out, 2 * shard_size, model.config, shard_size=shard_size, seed=5,
                              progress=False, pool=pool, open_shard_backend=opener)


IN_PROCESS_SHARD_DIFFERS = pytest.mark.xfail(strict=True, reason=(
    "a known defect: the fast skin's first shard babbled in this process differs in its bytes from the same "
    "shard babbled on a Ray worker (the second shard is identical)"))


@pytest.mark.parametrize("skin", [pytest.param("fast", marks=IN_PROCESS_SHARD_DIFFERS), "bullet"])
def test_babbling_on_two_ray_nodes_writes_the_bytes_one_process_writes(cluster, model, tmp_path, skin):
    here = _babble(model, tmp_path / "here", ShardPool(1), skin)
    there = _babble(model, tmp_path / "there", ShardPool(2, "auto"), skin)
    assert [s["sha256"] for s in there.shards] == [s["sha256"] for s in here.shards]
    assert len(there.shards) == 2 and len(BabbleDataset.open(tmp_path / "there", model.spec)) == here.samples


@IN_PROCESS_SHARD_DIFFERS
def test_a_dead_worker_costs_its_shard_and_the_rerun_completes(cluster, model, tmp_path):
    reference = _babble(model, tmp_path / "reference", ShardPool(1))
    marker = tmp_path / "die"
    marker.touch()
    out = tmp_path / "data"
    with pytest.raises(BackendError, match="a Ray worker died 1 times running one shard.*run the same command again"):
        _babble(model, out, ShardPool(1, "auto", retries=0), opener=DiesOnce(str(model.path), str(marker)))
    assert Manifest.read(out / "manifest.json").shards == []  # the first shard died, the others never ran
    resumed = _babble(model, out, ShardPool(2, "auto"))
    assert [s["sha256"] for s in resumed.shards] == [s["sha256"] for s in reference.shards]


def test_physics_equilibria_on_ray_are_those_computed_here(cluster, model, tmp_path, monkeypatch):
    monkeypatch.setattr(skin_fit, "CHUNK", 1)
    commands = skin_fit.random_commands(model, 2, seed=1)
    here = skin_fit.collect_equilibria(model, commands, pool=ShardPool(1))
    there = skin_fit.collect_equilibria(model, commands, work_dir=tmp_path, pool=ShardPool(2, "auto"))
    assert np.array_equal(here, there)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunk-0000.npz", "chunk-0001.npz"]


def test_a_tiny_sweep_writes_its_table_curves_and_best_policy_and_a_rerun_trains_nothing(cluster, tmp_path):
    from facetwin.agents.rl.sweep import SweepConfig, run_sweep

    sweep = SweepConfig(seeds=[0, 1], steps=128, n_envs=2, eval_every=128, eval_episodes=2, checkpoint_every=128,
                        env_options={"episode_steps": 20}, hyperparameters={"batch_size": 64})
    rows = run_sweep(sweep, tmp_path, "auto")
    assert {r["trial"] for r in rows} == {"ppo-seed0-lr0.0003", "ppo-seed1-lr0.0003"}
    assert rows[0]["reachable_error_mm"] <= rows[1]["reachable_error_mm"] and all(r["steps"] >= 128 for r in rows)
    for name in ("results.md", "results.csv", "learning_curves.png", "best/policy.zip", "best/policy.json"):
        assert (tmp_path / name).is_file(), name
    policy = tmp_path / "trials" / rows[0]["trial"] / "policy.zip"
    written = policy.stat().st_mtime_ns
    assert run_sweep(sweep, tmp_path, "auto") == rows
    assert policy.stat().st_mtime_ns == written
