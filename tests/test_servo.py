"""Servo dynamics: latency, lag, speed limit, deadband and backlash each do what they say; per-face
parameters, partial resets and state hand-over in a batch."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.sim.servo import ServoBank, ServoParams


def _bank(batch=1, substeps=8, **overrides):
    params = dict(latency=np.array([0.0]), tau=np.array([0.02]), max_speed=np.array([1e6]),
                  deadband=np.array([0.0]), backlash=np.array([0.0]))
    params.update({k: np.array([v]) for k, v in overrides.items()})
    return ServoBank(ServoParams(**params), neutral=np.array([0.0]), control_period=1 / 30, substeps=substeps,
                     batch=batch)


def test_first_order_lag_settles_to_target():
    bank = _bank(tau=0.05)
    trace = [bank.step(np.array([[10.0]]))[0, 0] for _ in range(30)]
    assert 0 < trace[0] < 10.0
    assert np.all(np.diff(trace) >= -1e-12)
    assert abs(trace[-1] - 10.0) < 1e-3


def test_latency_delays_motion():
    bank = _bank(latency=0.1)  # three control periods at 30 Hz
    trace = [bank.step(np.array([[10.0]]))[0, 0] for _ in range(6)]
    assert trace[0] == trace[1] == 0.0
    assert trace[3] > 0.0


def test_speed_limit():
    bank = _bank(max_speed=30.0)  # 1 unit per control period
    trace = [bank.step(np.array([[10.0]]))[0, 0] for _ in range(5)]
    assert np.allclose(np.diff([0.0, *trace]), 1.0, atol=1e-9)


def test_deadband_ignores_small_errors():
    bank = _bank(deadband=0.5)
    assert bank.step(np.array([[0.4]]))[0, 0] == 0.0
    assert bank.step(np.array([[2.0]]))[0, 0] > 0.0


def test_backlash_lags_on_reversal():
    bank = _bank(backlash=1.0)
    for _ in range(20):
        bank.step(np.array([[5.0]]))
    assert abs(bank.horn[0, 0] - 5.0) < 1e-6 and abs(bank.load[0, 0] - 4.5) < 1e-6
    for _ in range(20):
        bank.step(np.array([[4.8]]))
    # the horn turned back by 0.2 but the linkage has not taken up the slack
    assert abs(bank.load[0, 0] - 4.5) < 1e-6


def test_batch_rows_are_independent_and_match_single():
    targets = np.random.default_rng(0).uniform(-5, 5, (4, 20, 1))
    batched = _bank(batch=4, latency=0.05, tau=0.04, max_speed=60.0, deadband=0.05, backlash=0.2)
    for t in range(20):
        out = batched.step(targets[:, t]).copy()
    for row in range(4):
        single = _bank(latency=0.05, tau=0.04, max_speed=60.0, deadband=0.05, backlash=0.2)
        for t in range(20):
            ref = single.step(targets[row : row + 1, t])
        assert np.allclose(out[row], ref[0])


def _params(rng, batch, actuators=3):
    shape = (batch, actuators)
    return ServoParams(latency=rng.uniform(0, 0.05, shape), tau=rng.uniform(0.01, 0.1, shape),
                       max_speed=rng.uniform(20, 300, shape), deadband=rng.uniform(0, 0.2, shape),
                       backlash=rng.uniform(0, 0.4, shape))


def _row(params: ServoParams, row: int) -> ServoParams:
    return ServoParams(*(getattr(params, f)[row] for f in ("latency", "tau", "max_speed", "deadband", "backlash")))


def test_per_row_parameters_match_banks_of_one():
    rng = np.random.default_rng(0)
    params = _params(rng, 4)
    bank = ServoBank(_params(rng, 4), np.zeros(3), 1 / 30, batch=4, max_latency=0.06)
    bank.set_params(params)
    singles = [ServoBank(_row(params, r), np.zeros(3), 1 / 30, max_latency=0.06) for r in range(4)]
    for _ in range(40):
        targets = rng.uniform(-5, 5, (4, 3))
        out = bank.step(targets).copy()
        for r, single in enumerate(singles):
            assert np.array_equal(out[r], single.step(targets[r : r + 1])[0])


def test_partial_reset_and_copy_state():
    rng = np.random.default_rng(1)
    params = _params(rng, 3)
    bank = ServoBank(params, np.zeros(3), 1 / 30, batch=3)
    for _ in range(10):
        bank.step(rng.uniform(-5, 5, (3, 3)))
    before = bank.load.copy()
    bank.reset(rows=np.array([1]))
    assert np.all(bank.load[1] == 0.0) and np.array_equal(bank.load[[0, 2]], before[[0, 2]])
    # a row that takes over another bank's state continues exactly like it
    other = ServoBank(_row(params, 1), np.zeros(3), 1 / 30)
    for _ in range(5):
        other.step(rng.uniform(-5, 5, (1, 3)))
    bank.copy_state(other, np.array([1]))
    for _ in range(10):
        targets = rng.uniform(-5, 5, (3, 3))
        assert np.array_equal(bank.step(targets)[1], other.step(targets[1:2])[0])


def test_a_latency_beyond_the_history_is_refused():
    bank = ServoBank(_params(np.random.default_rng(2), 1), np.zeros(3), 1 / 30)
    with pytest.raises(ValueError, match="max_latency"):
        bank.set_params(ServoParams(np.full(3, 0.5), np.full(3, 0.04), np.full(3, 100.0), np.zeros(3), np.zeros(3)))


def _reference_period(bank: ServoBank, horn: np.ndarray, load: np.ndarray, history: np.ndarray, head: int) -> None:
    """The servo model as plain numpy, one substep at a time: what the compiled kernel must reproduce."""
    for s in range(bank.substeps):
        slot = (head - bank._age[s]) % len(history)
        error = np.take_along_axis(history, slot[None], axis=0)[0] - horn
        move = np.clip(error * bank._alpha, -bank._max_step, bank._max_step)
        move = np.where(np.abs(error) > bank._deadband, move, 0.0)
        horn += move
        np.clip(load, horn - bank._half_backlash, horn + bank._half_backlash, out=load)


@pytest.mark.parametrize("batch", [1, 64])
def test_the_compiled_substeps_match_the_numpy_model(batch):
    rng = np.random.default_rng(3)
    bank = ServoBank(_params(rng, batch, actuators=5), rng.uniform(-1, 1, 5), 1 / 30, batch=batch, max_latency=0.06)
    horn, load = bank.horn.copy(), bank.load.copy()
    history = bank._history.copy()
    head = bank._head
    worst = 0.0
    for t in range(200):
        targets = rng.uniform(-5, 5, (batch, 5)) if t % 7 else np.repeat(horn[:, :1], 5, axis=1) + 0.05
        head = (head + 1) % len(history)
        history[head] = targets
        _reference_period(bank, horn, load, history, head)
        bank.step(targets)
        worst = max(worst, np.abs(bank.horn - horn).max(), np.abs(bank.load - load).max())
    assert worst <= 1e-6
    assert np.ptp(load) > 1.0  # the faces moved, over the deadband and through the backlash
