"""The expression predictor: causal (a clip cut at t leaves every forecast up to t unchanged),
saved and loaded intact, and refused on another face."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.agents.mimic.human_targets import HumanFrame
from facetwin.agents.predictor.anticipation import Anticipation
from facetwin.agents.predictor.model import ExpressionPredictor
from facetwin.agents.predictor.sequences import ExpressionSegment
from facetwin.agents.predictor.train import forecast_errors, train_predictor
from facetwin.errors import ConfigError
from facetwin.perception.retarget import RetargetTarget


def _smooth_segments(spec, clips=3, frames=150, seed=0):
    """Landmark trajectories made of slow sinusoids: motion a forecast can extrapolate."""
    from facetwin.agents.metrics import movable_landmarks

    rng = np.random.default_rng(seed)
    n = len(movable_landmarks(spec))
    directions = rng.normal(size=(3, n, 3))
    out = []
    for c in range(clips):
        t = np.arange(frames) / 30.0
        weights = np.stack([np.sin(2 * np.pi * f * t + p) for f, p in rng.uniform([0.3, 0], [0.9, 6], (3, 2))], 1)
        out.append(ExpressionSegment(f"clip{c}", t, np.einsum("tk,kld->tld", weights, directions)))
    return out


@pytest.fixture(scope="module")
def trained(spec):
    return train_predictor(_smooth_segments(spec, clips=2, frames=60), spec, epochs=2, progress=False)


def test_a_saved_predictor_forecasts_as_it_did_and_only_for_its_face(trained, spec, tmp_path):
    scores = forecast_errors(trained, _smooth_segments(spec, clips=1, seed=1))
    assert set(scores) == {"predictor_mm", "hold_mm", "constant_velocity_mm", "frames"}
    loaded = ExpressionPredictor.load(trained.save(tmp_path / "predictor.npz"))
    assert forecast_errors(loaded, _smooth_segments(spec, clips=1, seed=1)) == scores
    with pytest.raises(ConfigError, match="face digest"):
        Anticipation(ExpressionPredictor("other", *([None] * 3), [], {}), spec, 0.2)


def test_cutting_a_clip_at_t_leaves_every_forecast_up_to_t_unchanged(trained, spec):
    from facetwin.agents.metrics import movable_landmarks

    segment = _smooth_segments(spec, clips=1, seed=2)[0]
    movable = movable_landmarks(spec)
    frames = []
    for t, targets in zip(segment.times, segment.targets):
        full = np.zeros((spec.n_landmarks, 3), np.float32)
        full[movable] = targets
        frames.append(HumanFrame(None, RetargetTarget(float(t), full, {}, "tracking"), full))

    def forecasts(items):
        anticipation = Anticipation(trained, spec, 0.2)
        return np.stack([anticipation(item) for item in items])

    whole, cut = forecasts(frames), forecasts(frames[:60])
    np.testing.assert_array_equal(whole[:60], cut)
    assert not np.allclose(whole[:60], np.stack([f.target.landmarks for f in frames[:60]]))  # it does forecast
