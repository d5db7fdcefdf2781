"""The twin's batched dynamics: the command mapping, rows stepping independently, restarts with
their own servos, rows advanced alone, following measured positions, and settled landmarks."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.sim import SimFace
from facetwin.sim.servo import ServoParams
from facetwin.sim.twin_batch import TwinBatch, equilibrium_landmarks


@pytest.fixture
def commands(model):
    return np.random.default_rng(0).uniform(-1, 1, (3, model.spec.n_actuators)).astype(np.float32)


def test_commands_map_onto_travel_and_back_as_the_spec_says(model, commands):
    twin, spec = TwinBatch(model, 3), model.spec
    assert np.array_equal(twin.positions(commands), spec.command_to_position(commands))
    twin.step(commands)
    assert np.array_equal(twin.actuator_commands(), spec.position_to_command(twin.horn))
    assert np.array_equal(twin.actuator_commands(1), spec.position_to_command(twin.horn[1]))


def test_rows_step_like_simface_a_batch_of_one(model, skin, commands):
    twin = TwinBatch(model, 3, skin=skin)
    faces = [SimFace(model) for _ in range(3)]
    for face in faces:
        face.reset()
    for t in range(12):
        held = commands if t < 6 else commands[::-1].copy()
        twin.step(held)
        for row, face in enumerate(faces):
            obs = face.step(held[row])
            assert np.array_equal(twin.landmarks(row), obs.landmarks)
            assert np.array_equal(twin.actuator_commands(row), obs.actuator_positions)
    assert twin.landmarks().shape == (3, 478, 3)


def test_a_restart_sets_its_rows_servos_and_a_plain_one_puts_the_nominal_back(model, commands):
    twin = TwinBatch(model, 3, max_latency=0.2)
    n = twin.nominal
    slow = ServoParams(n.latency + 0.05, n.tau * 3.0, n.max_speed, n.deadband, n.backlash)
    twin.step(commands)
    before = twin.load.copy()
    twin.restart(np.array([1]), slow)
    assert np.array_equal(twin.servos.params.tau[1], slow.tau)
    assert np.array_equal(twin.load[1], twin.neutral) and np.array_equal(twin.load[[0, 2]], before[[0, 2]])
    twin.restart(np.array([1]))
    assert np.array_equal(twin.servos.params.tau[1], n.tau) and np.array_equal(twin.servos.params.latency[1], n.latency)


def test_advance_steps_only_its_rows_from_rest(model, commands):
    twin = TwinBatch(model, 3)
    for _ in range(4):
        twin.step(commands)
    others = twin.load[[0, 2]].copy()
    twin.restart(np.array([1]))
    twin.advance(np.array([1]), commands[1:2])
    fresh = TwinBatch(model)
    fresh.step(commands[1:2])
    assert np.array_equal(twin.load[1], fresh.load[0]) and np.array_equal(twin.load[[0, 2]], others)
    for _ in range(5):
        twin.step(commands)
        fresh.step(commands[1:2])
    assert np.array_equal(twin.load[1], fresh.load[0])


def test_hold_puts_the_twins_at_rest_where_the_commands_put_them(model, commands):
    twin = TwinBatch(model, 3)
    twin.hold(commands)
    assert np.array_equal(twin.horn, twin.positions(commands)) and np.array_equal(twin.load, twin.horn)
    twin.step(commands)
    assert np.array_equal(twin.horn, twin.positions(commands))


def test_equilibrium_landmarks_are_where_the_servos_settle(model, skin, commands):
    settled = equilibrium_landmarks(model, commands)
    assert settled.shape == (3, 478, 3)
    assert np.abs(equilibrium_landmarks(model, commands, seconds=3.0) - settled).max() < 1e-3
    neutral = equilibrium_landmarks(model, model.spec.neutral_command)
    assert neutral.shape == (1, 478, 3) and np.abs(neutral[0] - model.neutral_landmarks).max() < 1e-4
