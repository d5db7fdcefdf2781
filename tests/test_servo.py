"""Servo dynamics: latency, lag, speed limit, deadband and backlash each do what they say."""

from __future__ import annotations

import numpy as np

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
