"""Learning the perceptual map (perception/perceptual_map.py) from the face's own babbling.

Every babbled face is scored by MediaPipe's blendshape model on its own landmarks (no render: the
model reads landmarks only, and the rest geometry is fitted so that the camera reads the face
where its mesh is, agents/fidelity/neutral_fit.py). The map learns the way back: from how much a
face reads as each expression to where its landmarks are. Nothing of a person goes into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.agents.selfmodel.dataset import BabbleDataset
from facetwin.errors import ConfigError
from facetwin.perception.blendshape_reader import BlendshapeReader
from facetwin.perception.detector import blendshape_landmarker
from facetwin.perception.perceptual_map import PerceptualMap
from facetwin.spec import FaceSpec


@dataclass
class PerceptualTraining:
    map: PerceptualMap
    val_landmark_mm: float
    """Mean landmark error of the map on held-out babbled faces, over the landmarks that move."""
    val_neutral_mm: float
    """The same error for the neutral face taken as every prediction: what the map must beat."""
    val_read_back: float
    """Mean absolute difference between the expression scores asked for and those the map's
    landmarks read as, on held-out faces: how faithfully it keeps what a viewer sees."""
    samples: int
    epochs: int


def score_dataset(landmarks: np.ndarray, neutral: np.ndarray, reader: BlendshapeReader) -> np.ndarray:
    """Each face's expression scores relative to the neutral face's."""
    return PerceptualMap.expression(reader.read_face(landmarks), reader.read_face(neutral))


def train_perceptual(data: str | Path, spec: FaceSpec, **options) -> PerceptualTraining:
    """Learn the map from a babbling dataset's settled faces (`fit_map`'s options)."""
    dataset = BabbleDataset.open(data, spec)
    arrays = dataset.load(("landmarks", "settled"))
    landmarks = arrays["landmarks"][arrays["settled"].astype(bool)].astype(np.float64)
    if len(landmarks) < 100:
        raise ConfigError(f"{data}: {len(landmarks)} settled samples; the perceptual map needs at least 100")
    return fit_map(landmarks, dataset.neutral().astype(np.float64), spec, **options)


def fit_map(landmarks: np.ndarray, neutral: np.ndarray, spec: FaceSpec, *, epochs: int = 60, seed: int = 0,
            hidden: tuple[int, ...] = (256, 256), val_fraction: float = 0.1,
            batch_size: int = 256) -> PerceptualTraining:
    """Learn the map from faces the robot made (N, 478, 3) and its neutral face (mm)."""
    import torch

    reader = BlendshapeReader(blendshape_landmarker())
    x = score_dataset(landmarks, neutral, reader).astype(np.float32)
    y = (landmarks - neutral).reshape(len(landmarks), -1).astype(np.float32)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    n_val = max(1, int(val_fraction * len(x)))
    val, train = order[:n_val], order[n_val:]
    torch.manual_seed(seed)
    sizes = (x.shape[1], *hidden, y.shape[1])
    layers: list[torch.nn.Module] = []
    for k in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(train), max(1, len(train) // batch_size)):
            optimiser.zero_grad()
            loss = torch.nn.functional.mse_loss(net(xt[batch]), yt[batch])
            loss.backward()
            optimiser.step()
        schedule.step()
    linear = [m for m in net if isinstance(m, torch.nn.Linear)]
    mapping = PerceptualMap([(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in linear],
                            spec.name, spec.digest, np.stack([x.min(axis=0), x.max(axis=0)]))
    predicted = mapping(x[val]) + neutral.astype(np.float32)
    moving = np.abs(y).reshape(len(y), -1, 3).max(axis=(0, 2)) > 0.05
    error = np.linalg.norm(predicted - landmarks[val], axis=-1)[:, moving].mean()
    at_neutral = np.linalg.norm(neutral - landmarks[val], axis=-1)[:, moving].mean()
    read_back = np.abs(score_dataset(predicted, neutral, reader) - x[val]).mean()
    return PerceptualTraining(mapping, float(error), float(at_neutral), float(read_back), len(x), epochs)


def shipped_map_path(spec: FaceSpec) -> Path:
    """Where a face keeps its perceptual map: assets/faces/<name>/policies/perceptual.npz."""
    from facetwin.faces import faces_root

    return faces_root() / spec.name / "policies" / "perceptual.npz"


def load_face_map(spec: FaceSpec, path: str | Path | None = None) -> PerceptualMap:
    """The face's perceptual map (the shipped one unless `path`), refused if learned on another face."""
    path = Path(path) if path is not None else shipped_map_path(spec)
    if not path.is_file():
        raise ConfigError(f"{path}: no perceptual map for face {spec.name!r}; "
                          f"make one with facetwin train perceptual --face {spec.name} --out {path}")
    return PerceptualMap.load(path, spec.digest)
