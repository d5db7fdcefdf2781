"""The One Euro filter: its textbook behaviour, and the jitter it removes on a real clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facetwin.errors import ConfigError
from facetwin.perception.bench import filter_figures, jitter_mm, lag_frames
from facetwin.perception.one_euro import OneEuroConfig, OneEuroFilter
from facetwin.perception.pipeline import perceive
from facetwin.perception.sources import VideoSource

FACES = Path(__file__).parents[2] / "shared/data/faces"


def test_still_noisy_signal_is_smoothed_and_unbiased():
    rng = np.random.default_rng(0)
    one_euro = OneEuroFilter(OneEuroConfig(min_cutoff=0.5, beta=0.0))
    times = np.arange(300) / 30.0
    noisy = 5.0 + rng.normal(0.0, 1.0, (300, 478, 3))
    out = np.stack([one_euro(x, t) for x, t in zip(noisy, times)])
    assert out.shape == noisy.shape
    assert out[100:].std() < 0.35 * noisy[100:].std()
    assert abs(out[100:].mean() - 5.0) < 0.05


def test_fast_motion_raises_the_cutoff():
    times = np.arange(60) / 30.0
    ramp = 100.0 * times  # 100 units/s
    slow = OneEuroFilter(OneEuroConfig(min_cutoff=0.5, beta=0.0))
    adaptive = OneEuroFilter(OneEuroConfig(min_cutoff=0.5, beta=0.5))
    lag_slow = ramp[-1] - [slow(np.array([v]), t) for v, t in zip(ramp, times)][-1][0]
    lag_adaptive = ramp[-1] - [adaptive(np.array([v]), t) for v, t in zip(ramp, times)][-1][0]
    assert 0 < lag_adaptive < 0.2 * lag_slow


def test_reset_forgets_the_past_and_repeated_stamps_hold():
    one_euro = OneEuroFilter()
    one_euro(np.zeros(3), 0.0)
    one_euro(np.ones(3), 0.1)
    held = one_euro(np.full(3, 50.0), 0.1)
    assert np.all(held < 1.0)
    one_euro.reset()
    np.testing.assert_array_equal(one_euro(np.full(3, 7.0), 0.2), np.full(3, 7.0))


@pytest.mark.parametrize("bad", [{"min_cutoff": 0.0}, {"beta": -1.0}, {"d_cutoff": float("nan")}])
def test_invalid_settings_are_rejected(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        OneEuroConfig(**bad)


def test_lag_estimate_recovers_a_known_delay():
    t = np.arange(400)
    raw = np.zeros((400, 478, 3))
    raw[:, 14, 1] = np.sin(t / 9.0) * 10.0
    delayed = np.concatenate([np.repeat(raw[:1], 3, axis=0), raw[:-3]])
    lag, pairs = lag_frames(raw, delayed, n_coordinates=1)
    assert pairs == [(14, 1)]
    assert lag == pytest.approx(3.0, abs=0.05)
    assert jitter_mm(raw) == 0.0


@pytest.mark.skipif(not FACES.is_dir(), reason=f"sample faces not found at {FACES}")
def test_filter_removes_most_jitter_on_a_real_clip_with_little_lag():
    with VideoSource(FACES / "WolfgangLanger_Pexels.mp4") as source:
        percepts = [p for _, p in zip(range(150), perceive(source))]
        fps = source.fps
    raw = np.stack([p.raw_landmarks for p in percepts])
    times = np.array([p.time for p in percepts])
    figures = filter_figures(raw, times, fps)
    assert figures["jitter_reduction"] > 0.5
    assert figures["lag_frames"] < 2.0
    filtered = np.stack([p.landmarks for p in percepts])
    assert jitter_mm(filtered) < 0.5 * jitter_mm(raw)  # the pipeline applies the same default filter
