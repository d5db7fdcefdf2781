"""The face's lag behind the person: a known shift is found, to within a fraction of a frame."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.agents.mimic.lag import lag_summary, trajectory_lag_ms


def _wave(t: np.ndarray, shape=(4, 3)) -> np.ndarray:
    phase = np.arange(np.prod(shape)).reshape(shape)
    return np.sin(2 * np.pi * 0.7 * t[:, None, None] + phase) + 0.5 * np.sin(2 * np.pi * 1.9 * t[:, None, None])


@pytest.mark.parametrize("delay_s", [0.1, 0.0, -0.05, 0.07])
def test_a_delayed_copy_is_measured_at_its_delay(delay_s):
    period = 1 / 30
    t = np.arange(240) * period
    valid = np.ones(len(t), bool)
    valid[50:60] = False  # frames without a face are left out, not read as zeros
    lag = trajectory_lag_ms(_wave(t), _wave(t - delay_s), valid, period)
    assert lag == pytest.approx(1000 * delay_s, abs=4.0)


def test_a_still_person_has_no_lag_and_regions_are_reported(spec):
    t = np.arange(90) / 30
    still = np.zeros((len(t), spec.n_landmarks, 3))
    summary = lag_summary(still, still, np.ones(len(t), bool), spec, 1 / 30)
    assert summary["lag_ms"] is None
    assert set(summary["per_region_lag_ms"]) >= {"brows", "mouth", "jaw"}
    moving = still.copy()
    moving[:, :, 1] = 2.0 * np.sin(2 * np.pi * 0.5 * t)[:, None]
    behind = np.roll(moving, 3, axis=0)
    assert lag_summary(moving, behind, np.ones(len(t), bool), spec, 1 / 30)["lag_ms"] == pytest.approx(100, abs=5)


def test_a_run_stopped_before_its_first_frames_has_no_lag(spec):
    empty = np.zeros((0, spec.n_landmarks, 3), np.float32)
    summary = lag_summary(empty, empty, np.zeros(0, bool), spec, 1 / 30)
    assert summary["lag_ms"] is None and set(summary["per_region_lag_ms"].values()) == {None}
