"""Training and scoring the expression predictor on people's clips.

Samples are every frame of every segment with a horizon drawn up to `MAX_HORIZON_S`; the truth is
the person's target at that time, interpolated between its frames. The network is scored, on
clips it never saw, against the two forecasts that need no learning: holding the last frame and
extrapolating its velocity. Errors are mean landmark distances (mm) over the movable landmarks
between the forecast target and the person's, each forecast turned into a target the same way
(the newest target plus the forecast change).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from facetwin.agents.predictor.model import N_CODES, WINDOW, ExpressionPredictor, window_features
from facetwin.agents.predictor.sequences import ExpressionSegment
from facetwin.errors import ConfigError
from facetwin.spec import FaceSpec

MAX_HORIZON_S = 0.4
EVAL_HORIZON_S = 0.2


@dataclass
class Windows:
    """Rows: the window of codes ending at a frame, its times, and the targets to score against."""

    codes: np.ndarray      # (N, W, K)
    times: np.ndarray      # (N, W)
    newest: np.ndarray     # (N, L*3) the newest target
    previous: np.ndarray   # (N, L*3) the one before (constant velocity)
    step_s: np.ndarray     # (N,) time between them
    horizon_s: np.ndarray  # (N,)
    truth: np.ndarray      # (N, L*3) the person's target at newest + horizon


def windows(segments: list[ExpressionSegment], predictor_codes, horizons: np.ndarray | float,
            window: int = WINDOW, rng: np.random.Generator | None = None) -> Windows:
    """Every frame of every segment whose horizon still lies inside it; `horizons` a fixed value
    or, with `rng`, the upper end of uniformly drawn ones."""
    rows = {k: [] for k in Windows.__dataclass_fields__}
    for segment in segments:
        flat = segment.targets.reshape(len(segment.targets), -1).astype(np.float64)
        codes = predictor_codes(segment.targets)
        t = segment.times
        n = len(t)
        h = rng.uniform(0.0, horizons, n) if rng is not None else np.full(n, float(horizons))
        keep = np.flatnonzero(t + h <= t[-1])
        keep = keep[keep >= 1]
        if not keep.size:
            continue
        index = np.clip(keep[:, None] + np.arange(-window + 1, 1)[None], 0, None)
        due = t[keep] + h[keep]
        after = np.searchsorted(t, due, side="left").clip(1, n - 1)
        w = ((due - t[after - 1]) / (t[after] - t[after - 1]))[:, None]
        rows["codes"].append(codes[index])
        rows["times"].append(t[index])
        rows["newest"].append(flat[keep])
        rows["previous"].append(flat[keep - 1])
        rows["step_s"].append(t[keep] - t[keep - 1])
        rows["horizon_s"].append(h[keep])
        rows["truth"].append((1 - w) * flat[after - 1] + w * flat[after])
    if not rows["codes"]:
        raise ConfigError("the clips hold no run of frames with a face long enough to forecast in")
    return Windows(**{k: np.concatenate(v) for k, v in rows.items()})


def fit_code(segments: list[ExpressionSegment], n_codes: int = N_CODES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, orthonormal components and their spreads of the people's targets."""
    flat = np.concatenate([s.targets.reshape(len(s.targets), -1) for s in segments]).astype(np.float64)
    mean = flat.mean(axis=0)
    _, singular, vt = np.linalg.svd(flat - mean, full_matrices=False)
    k = min(n_codes, len(singular))
    return mean, vt[:k], np.maximum(singular[:k] / np.sqrt(len(flat)), 1e-6)


def train_predictor(segments: list[ExpressionSegment], spec: FaceSpec, *, epochs: int = 40, hidden: int = 16,
                    seed: int = 0, progress: bool = True) -> ExpressionPredictor:
    """The network trained on `segments` (horizons up to MAX_HORIZON_S), in their own code."""
    import torch

    torch.manual_seed(seed)
    mean, components, scale = fit_code(segments)
    blank = ExpressionPredictor(spec.digest, mean, components, scale, [], {})
    rng = np.random.default_rng(seed)
    data = windows(segments, blank.codes, MAX_HORIZON_S, rng=rng)
    x = torch.as_tensor(window_features(data.codes, data.times, data.horizon_s), dtype=torch.float32)
    y = torch.as_tensor(blank.codes(data.truth.reshape(len(x), -1, 3)) - data.codes[:, -1], dtype=torch.float32)
    x, y = x.reshape(-1, x.shape[-1]), y.reshape(-1, 1)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.Tanh(),
                              torch.nn.Linear(hidden, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    torch.nn.init.zeros_(net[-1].weight)  # starts as "hold the last frame"
    torch.nn.init.zeros_(net[-1].bias)
    optimiser = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-3)
    for _ in tqdm(range(epochs), desc="train predictor", unit="epoch", disable=not progress):
        for batch in torch.randperm(len(x)).split(64):
            optimiser.zero_grad()
            loss = torch.nn.functional.smooth_l1_loss(net(x[batch]), y[batch])
            loss.backward()
            optimiser.step()
    layers = [(m.weight.detach().double().numpy(), m.bias.detach().double().numpy())
              for m in net if isinstance(m, torch.nn.Linear)]
    return ExpressionPredictor(spec.digest, mean, components, scale, layers, {})


def forecast_errors(predictor: ExpressionPredictor, segments: list[ExpressionSegment],
                    horizon_s: float = EVAL_HORIZON_S) -> dict[str, float]:
    """Mean forecast error (mm) at `horizon_s` of the predictor, holding the last frame, and
    constant-velocity extrapolation, over every frame of `segments` with a truth that far ahead."""
    data = windows(segments, predictor.codes, horizon_s, window=predictor.window)
    change = predictor.code_change(window_features(data.codes, data.times, data.horizon_s))
    forecast = data.newest + predictor.displacement(change).reshape(len(change), -1)
    velocity = (data.newest - data.previous) / data.step_s[:, None]

    def mm(guess: np.ndarray) -> float:
        return float(np.linalg.norm((guess - data.truth).reshape(len(guess), -1, 3), axis=-1).mean())

    return {"predictor_mm": mm(forecast), "hold_mm": mm(data.newest),
            "constant_velocity_mm": mm(data.newest + velocity * horizon_s), "frames": len(change)}


def held_out_scores(segments: list[ExpressionSegment], spec: FaceSpec, **train_options) -> dict[str, dict]:
    """Each clip scored by a predictor trained on all the others (leave one clip out)."""
    clips = sorted({s.clip for s in segments})
    if len(clips) < 2:
        raise ConfigError("scoring on clips the predictor never saw needs at least two clips")
    scores = {}
    for clip in clips:
        predictor = train_predictor([s for s in segments if s.clip != clip], spec, **train_options)
        scores[clip] = forecast_errors(predictor, [s for s in segments if s.clip == clip])
    return scores
