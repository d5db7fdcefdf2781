"""The mimic loop's forecast: the target the policy is asked for, `horizon_s` ahead of the person.

The person's face code is tracked on the unfiltered target (the filter's delay is part of what
the forecast has to make up); the forecast change of code then replaces the code part of the
filtered target, whose detail outside the code is kept. A lost face starts the history afresh.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from facetwin.agents.metrics import movable_landmarks
from facetwin.agents.mimic.human_targets import HumanFrame
from facetwin.agents.predictor.model import ExpressionPredictor, window_features
from facetwin.spec import FaceSpec


class Anticipation:
    """Called once per frame, in order; returns the landmarks (478, 3) to aim at."""

    def __init__(self, predictor: ExpressionPredictor, spec: FaceSpec, horizon_s: float) -> None:
        predictor.check_face(spec)
        self.predictor = predictor
        self.horizon_s = horizon_s
        self._movable = movable_landmarks(spec)
        self._codes: deque[np.ndarray] = deque(maxlen=predictor.window)
        self._times: deque[float] = deque(maxlen=predictor.window)

    def reset(self) -> None:
        self._codes.clear()
        self._times.clear()

    def __call__(self, item: HumanFrame) -> np.ndarray:
        target = item.target.landmarks
        if item.unfiltered is None or self.horizon_s <= 0:
            self.reset()
            return target
        predictor, movable = self.predictor, self._movable
        self._codes.append(predictor.codes(item.unfiltered[movable]))
        self._times.append(item.target.time)
        pad = predictor.window - len(self._codes)
        codes = np.stack([self._codes[0]] * pad + list(self._codes))[None]
        times = np.array([self._times[0]] * pad + list(self._times))[None]
        forecast = codes[0, -1] + predictor.code_change(window_features(codes, times, self.horizon_s))[0]
        aim = target.copy()
        aim[movable] += predictor.displacement(forecast - predictor.codes(target[movable])).astype(np.float32)
        return aim
