"""Training the self-models from a babbling dataset: the forward model first, then the inverse
model through it.

Both trainings hold out a validation split, stop early when it stops improving, write the best
model so far atomically after every improvement, and keep a resume state beside it
(`<model>.state`, removed when training ends) so that an interrupted run continues where it
stopped.

The inverse model meets two kinds of target. Babbled ones lie on the face's manifold: for them
the command that made them is known, and the loss is its L1 error (Emo's metric). A person's
expression, retargeted, does not: no command reproduces it, and the best answer is the command
whose face comes closest. So each batch also carries targets pushed off the manifold (regions
scaled unevenly, smooth random deformation fields over the face, per-landmark noise, then
clipped to the reach the babbling showed, as the retargeter clips), and for those the loss is
the landmark error of the face the predicted command would make, as the *learned* forward model
predicts it. The kinematic model of the face is never used: only babbled data and the forward
self-model learned from it. No human data is used in training.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import numpy as np
import torch
from pydantic import Field
from tqdm import tqdm

from facetwin.agents.metrics import face_actuators, movable_landmarks
from facetwin.agents.selfmodel.dataset import BabbleDataset
from facetwin.agents.selfmodel.models import LandmarkCodec, SelfModel
from facetwin.atomic import atomic_write
from facetwin.config_model import ConfigModel
from facetwin.errors import ConfigError
from facetwin.spec import FaceSpec

MIN_IMPROVEMENT = 1e-3
"""A validation loss must beat the best by this fraction to count as progress for early stopping."""


class TrainConfig(ConfigModel):
    """`landmark_weight` and `command_weight` balance the inverse loss (mm against [0, 1] command
    units); `augment` is the share of each inverse batch that is also moved off the manifold, and
    the weight of those targets in the landmark loss."""

    hidden: tuple[Annotated[int, Field(ge=1)], ...] = Field((256, 256), min_length=1)
    bottleneck: int = Field(64, ge=1)
    epochs: int = Field(200, ge=1)
    batch_size: int = Field(256, ge=1)
    lr: float = Field(2e-3, ge=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    val_fraction: float = Field(0.1, gt=0.0, lt=1.0)
    patience: int = Field(15, ge=1)
    seed: int = 0
    command_weight: float = Field(10.0, ge=0.0)
    landmark_weight: float = Field(1.0, ge=0.0)
    augment: float = Field(0.75, ge=0.0, le=1.0)


@dataclass
class TrainingData:
    """Settled babbling samples of one face, split into training and validation rows."""

    spec: FaceSpec
    commands: np.ndarray
    landmarks: np.ndarray
    neutral: np.ndarray
    train: np.ndarray
    val: np.ndarray
    fingerprint: str
    source: dict = field(default_factory=dict)

    @classmethod
    def from_dataset(cls, path: str | Path, spec: FaceSpec, val_fraction: float, seed: int) -> TrainingData:
        dataset = BabbleDataset.open(path, spec)
        arrays = dataset.load(("command", "landmarks", "settled"))
        keep = arrays["settled"]
        if keep.sum() < 20:
            raise ConfigError(f"{path}: only {int(keep.sum())} settled samples; babble more")
        order = np.random.default_rng(seed).permutation(int(keep.sum()))
        n_val = max(1, int(round(val_fraction * len(order))))
        fingerprint = hashlib.sha256("".join(s["sha256"] for s in dataset.manifest.shards).encode()).hexdigest()[:16]
        return cls(spec, arrays["command"][keep], arrays["landmarks"][keep], dataset.neutral(), order[n_val:],
                   order[:n_val], fingerprint, {"dataset": Path(path).name, "samples": int(keep.sum()),
                                                "fingerprint": fingerprint})


def make_codec(data: TrainingData) -> LandmarkCodec:
    """Displacements from the measured neutral, one scale: the RMS movable coordinate displacement."""
    movable = movable_landmarks(data.spec)
    displacement = data.landmarks[data.train][:, movable] - data.neutral[movable]
    scale = float(np.sqrt(np.mean(displacement.astype(np.float64) ** 2)))
    return LandmarkCodec(data.neutral.astype(np.float32), movable, max(scale, 1e-3))


class OffManifold:
    """Moves babbled targets off the face's manifold the way people's expressions are off it.

    Works on displacements (B, M, 3) in mm of the movable landmarks, each step on a random part
    of the batch: gains per region and axis (a person's smile is wider or higher than any the
    face can make), a shift per region (a person's features sit elsewhere than the face's), a
    small rotation of the whole face (head pose removed imperfectly: the chin swings back when a
    person tilts their head), a smooth random deformation field (a Gaussian process over the
    neutral face at one length scale of 6-24 mm per batch: shapes the skin cannot make) and
    per-landmark noise (tracking jitter); then a clip to the reach box the babbling showed, as the
    retargeter clips.
    """

    LENGTHS_MM = (6.0, 12.0, 24.0)
    ROTATION_DEG = (6.0, 6.0, 4.0)

    def __init__(self, neutral_movable: np.ndarray, regions: np.ndarray, low: np.ndarray, high: np.ndarray):
        self.regions = torch.as_tensor(regions, dtype=torch.long)
        self.n_regions = int(regions.max()) + 1
        self.low = torch.as_tensor(low, dtype=torch.float32)
        self.high = torch.as_tensor(high, dtype=torch.float32)
        points = np.asarray(neutral_movable, dtype=np.float64)
        self.points = torch.as_tensor(points - points.mean(axis=0), dtype=torch.float32)
        d2 = ((points[:, None] - points[None]) ** 2).sum(-1)
        self.bases = []
        for length in self.LENGTHS_MM:
            values, vectors = np.linalg.eigh(np.exp(-d2 / (2.0 * length**2)))
            values, vectors = values[::-1], vectors[:, ::-1]
            keep = int(np.searchsorted(np.cumsum(values) / values.sum(), 0.97)) + 1  # the rest is sub-mm detail
            basis = vectors[:, :keep] * np.sqrt(values[:keep])
            self.bases.append(torch.as_tensor(basis / np.sqrt((basis**2).sum(1).mean()), dtype=torch.float32))

    @staticmethod
    def _rotation(angles: torch.Tensor) -> torch.Tensor:
        """(B, 3) angles in radians about x, y, z -> (B, 3, 3) rotation matrices."""
        c, s = torch.cos(angles), torch.sin(angles)
        one, zero = torch.ones_like(c[:, 0]), torch.zeros_like(c[:, 0])
        rx = torch.stack([one, zero, zero, zero, c[:, 0], -s[:, 0], zero, s[:, 0], c[:, 0]], 1).reshape(-1, 3, 3)
        ry = torch.stack([c[:, 1], zero, s[:, 1], zero, one, zero, -s[:, 1], zero, c[:, 1]], 1).reshape(-1, 3, 3)
        rz = torch.stack([c[:, 2], -s[:, 2], zero, s[:, 2], c[:, 2], zero, zero, zero, one], 1).reshape(-1, 3, 3)
        return rz @ ry @ rx

    def __call__(self, displacement: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        b = len(displacement)

        def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
            return low + (high - low) * torch.rand(*shape, generator=generator)

        def coin(p: float) -> torch.Tensor:
            return (torch.rand(b, 1, 1, generator=generator) < p).float()

        gains = uniform(0.6, 1.5, b, 1, 1) * uniform(0.7, 1.3, b, self.n_regions, 3)
        out = displacement + coin(0.6) * (displacement * gains[:, self.regions] - displacement)
        shifts = torch.randn(b, self.n_regions, 3, generator=generator) * uniform(0.0, 3.0, b, 1, 1)
        out = out + coin(0.5) * shifts[:, self.regions]
        limits = torch.deg2rad(torch.tensor(self.ROTATION_DEG))
        rotation = self._rotation(uniform(-1.0, 1.0, b, 3) * limits)
        positions = self.points + out
        out = out + coin(0.5) * (positions @ rotation.transpose(1, 2) - positions)
        basis = self.bases[int(torch.randint(len(self.bases), (1,), generator=generator))]
        z = torch.randn(b, basis.shape[1], 3, generator=generator)
        out = out + coin(0.7) * torch.einsum("mk,bkd->bmd", basis, z) * uniform(0.0, 2.0, b, 1, 1)
        out = out + coin(0.5) * torch.randn(displacement.shape, generator=generator) * uniform(0.0, 0.4, b, 1, 1)
        return torch.maximum(torch.minimum(out, self.high), self.low)


def region_index(spec: FaceSpec, movable: np.ndarray) -> np.ndarray:
    """The region of each movable landmark (regions in face.yaml order, one extra for unlisted ones)."""
    names = [r for r in spec.regions if r != "static"]
    index = np.full(spec.n_landmarks, len(names), dtype=np.int64)
    for i, name in enumerate(names):
        index[list(spec.regions[name])] = i
    return index[movable]


def _state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state")


def finished_run(out: str | Path) -> bool:
    """Whether `out` holds a model whose training completed: an interrupted run leaves its state
    beside the model and resumes, a finished one removed it."""
    out = Path(out)
    return out.is_file() and not _state_path(out).is_file()


class _Trainer:
    """The loop both trainings share: epochs, validation, early stopping, checkpoints, resume."""

    def __init__(self, model: SelfModel, config: TrainConfig, data: TrainingData, out: Path, progress: bool):
        self.model, self.config, self.data, self.out, self.progress = model, config, data, Path(out), progress
        torch.manual_seed(config.seed)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.optimizer = torch.optim.AdamW(model.net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, factor=0.5,
                                                                    patience=max(1, config.patience // 3))
        self.epoch, self.best, self.bad_epochs = 0, math.inf, 0
        self.best_state = copy.deepcopy(model.net.state_dict())
        self.history: list[dict] = []
        self.identity = {"kind": model.kind, "config": config.model_dump(mode="json"), "data": data.fingerprint,
                         "spec": data.spec.digest}

    def train_epoch(self, n: int, batch_loss) -> float:
        """One optimiser pass over `n` training rows in shuffled batches; `batch_loss(rows)` gives a
        batch's loss. Returns the mean loss per row."""
        total = 0.0
        for rows in _batches(n, self.config.batch_size, self.generator):
            loss = batch_loss(rows)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += float(loss.detach()) * len(rows)
        return total / n

    def _resume(self) -> None:
        path = _state_path(self.out)
        if not path.is_file():
            return
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError):
            return  # an unreadable state is a fresh start, not a failure
        if json.loads(state.get("identity", "{}")) != self.identity:
            return
        self.model.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.generator.set_state(state["generator"])
        self.best_state = state["best_state"]
        self.epoch, self.best, self.bad_epochs = state["epoch"], state["best"], state["bad_epochs"]
        self.history = json.loads(state["history"])

    def _save_state(self) -> None:
        state = {"identity": json.dumps(self.identity), "net": self.model.net.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                 "generator": self.generator.get_state(), "best_state": self.best_state, "epoch": self.epoch,
                 "best": self.best, "bad_epochs": self.bad_epochs, "history": json.dumps(self.history)}
        with atomic_write(_state_path(self.out)) as handle:
            torch.save(state, handle)

    def _checkpoint(self, metrics: dict) -> None:
        model = self.model
        net_state = copy.deepcopy(model.net.state_dict())
        model.net.load_state_dict(self.best_state)
        model.train_config, model.history, model.metrics, model.data = (
            self.config.model_dump(mode="json"), self.history, metrics, self.data.source)
        model.save(self.out)
        model.net.load_state_dict(net_state)

    def run(self, train_epoch, validate) -> SelfModel:
        """`train_epoch()` -> mean training loss; `validate()` -> (loss, metrics dict)."""
        self._resume()
        bar = tqdm(total=self.config.epochs, initial=self.epoch, desc=f"train {self.model.kind}", unit="epoch",
                   disable=not self.progress, dynamic_ncols=True)
        with bar:
            while self.epoch < self.config.epochs and self.bad_epochs < self.config.patience:
                self.model.net.train()
                train_loss = train_epoch()
                self.model.net.eval()
                with torch.no_grad():
                    val_loss, metrics = validate()
                self.epoch += 1
                self.scheduler.step(val_loss)
                self.history.append({"epoch": self.epoch, "train_loss": train_loss, "val_loss": val_loss,
                                     "lr": self.optimizer.param_groups[0]["lr"], **metrics})
                if val_loss < self.best * (1.0 - MIN_IMPROVEMENT):
                    self.best, self.bad_epochs = val_loss, 0
                    self.best_state = copy.deepcopy(self.model.net.state_dict())
                    self._checkpoint({"val_loss": val_loss, **metrics})
                else:
                    self.bad_epochs += 1
                self._save_state()
                bar.update(1)
                bar.set_postfix(train=f"{train_loss:.4f}", val=f"{val_loss:.4f}", best=f"{self.best:.4f}")
        self.model.net.load_state_dict(self.best_state)
        self.model.net.eval()
        best = min(self.history, key=lambda row: row["val_loss"])
        self._checkpoint({**best, "epochs_run": self.epoch, "stopped_early": self.bad_epochs >= self.config.patience})
        _state_path(self.out).unlink(missing_ok=True)
        return self.model


def _batches(n: int, size: int, generator: torch.Generator):
    order = torch.randperm(n, generator=generator)
    for start in range(0, n, size):
        yield order[start:start + size]


def train_forward(dataset: str | Path, spec: FaceSpec, out: str | Path, config: TrainConfig | None = None,
                  progress: bool = True) -> SelfModel:
    """The forward self-model (face commands -> landmarks), MSE on the encoded landmarks."""
    config = config or TrainConfig()
    torch.set_num_threads(1)
    data = TrainingData.from_dataset(dataset, spec, config.val_fraction, config.seed)
    codec = make_codec(data)
    actuators = face_actuators(spec)
    model = SelfModel.create("forward", spec, codec, actuators, config.hidden)
    x = torch.as_tensor(data.commands[:, actuators])
    y = torch.as_tensor(codec.encode_all(data.landmarks))
    movable = torch.as_tensor(codec.movable)
    train, val = torch.as_tensor(data.train), torch.as_tensor(data.val)
    trainer = _Trainer(model, config, data, Path(out), progress)

    def batch_loss(rows: torch.Tensor) -> torch.Tensor:
        batch = train[rows]
        return torch.mean((model.net(x[batch]) - y[batch]) ** 2)

    def train_epoch() -> float:
        return trainer.train_epoch(len(train), batch_loss)

    def validate() -> tuple[float, dict]:
        predicted = model.net(x[val])
        loss = float(torch.mean((predicted - y[val]) ** 2))
        diff = (predicted - y[val]).reshape(len(val), -1, 3)[:, movable] * codec.scale
        return loss, {"val_landmark_mm": float(diff.norm(dim=-1).mean())}

    return trainer.run(train_epoch, validate)


def train_inverse(dataset: str | Path, spec: FaceSpec, forward: str | Path | SelfModel, out: str | Path,
                  config: TrainConfig | None = None, progress: bool = True) -> SelfModel:
    """The inverse self-model (target landmarks -> face commands), trained through `forward`."""
    config = config or TrainConfig()
    torch.set_num_threads(1)
    data = TrainingData.from_dataset(dataset, spec, config.val_fraction, config.seed)
    forward = forward if isinstance(forward, SelfModel) else SelfModel.load(forward, spec, kind="forward")
    forward.check_face(spec, "forward model")
    for p in forward.net.parameters():
        p.requires_grad_(False)
    forward.net.eval()
    codec = forward.codec
    actuators = face_actuators(spec)
    if not np.array_equal(forward.actuators, actuators):
        raise ConfigError("the forward model drives other actuators than this face's face actuators")
    model = SelfModel.create("inverse", spec, codec, actuators, config.hidden, config.bottleneck)
    movable = torch.as_tensor(codec.movable)
    displacement = torch.as_tensor(data.landmarks[:, codec.movable] - codec.neutral[codec.movable])
    commands = torch.as_tensor(data.commands[:, actuators])
    train, val = torch.as_tensor(data.train), torch.as_tensor(data.val)
    reach = displacement[train]
    shaker = OffManifold(codec.neutral[codec.movable], region_index(spec, codec.movable),
                         reach.amin(0).numpy(), reach.amax(0).numpy())
    val_generator = torch.Generator().manual_seed(config.seed + 1)
    val_off = shaker(displacement[val], val_generator)
    trainer = _Trainer(model, config, data, Path(out), progress)

    def predicted_displacement(command: torch.Tensor) -> torch.Tensor:
        return forward.net(command).reshape(len(command), -1, 3)[:, movable] * codec.scale

    def losses(clean: torch.Tensor, truth: torch.Tensor, off: torch.Tensor) -> tuple[torch.Tensor, dict]:
        targets = torch.cat([clean, off])
        command = model.net(targets.reshape(len(targets), -1) / codec.scale)
        command_l1 = 0.5 * torch.mean(torch.abs(command[: len(clean)] - truth))
        distance = torch.sqrt(((predicted_displacement(command) - targets) ** 2).sum(-1) + 1e-6)
        clean_mm, off_mm = distance[: len(clean)].mean(), distance[len(clean):].mean()
        landmark = (1.0 - config.augment) * clean_mm + config.augment * off_mm if len(off) else clean_mm
        loss = config.command_weight * command_l1 + config.landmark_weight * landmark
        return loss, {"command_l1": float(command_l1.detach()), "landmark_mm": float(clean_mm.detach()),
                      "off_manifold_mm": float(off_mm.detach()) if len(off) else float("nan")}

    def batch_loss(rows: torch.Tensor) -> torch.Tensor:
        batch = train[rows]
        off = shaker(displacement[batch[: int(round(config.augment * len(batch)))]], trainer.generator)
        return losses(displacement[batch], commands[batch], off)[0]

    def train_epoch() -> float:
        return trainer.train_epoch(len(train), batch_loss)

    def validate() -> tuple[float, dict]:
        loss, parts = losses(displacement[val], commands[val], val_off)
        return float(loss), {f"val_{k}": v for k, v in parts.items()}

    return trainer.run(train_epoch, validate)
