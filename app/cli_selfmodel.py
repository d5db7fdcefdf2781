"""`facetwin babble`, `facetwin train forward` and `facetwin train inverse`: the self-model's data
and its training. The rooms are imported inside the functions, so the CLI starts without torch."""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.app.cli_options import BackendOption, FaceOption, RayOption, RobotIdOption, SkinOption
from facetwin.errors import Interrupted


def babble(
    out: Path = typer.Option(..., "--out", help="dataset folder (created; an interrupted one is resumed)"),
    samples: int = typer.Option(50_000, "--samples", min=1, help="samples to record"),
    backend: str = BackendOption,
    robot_id: str | None = RobotIdOption,
    face: str | None = FaceOption,
    seed: int = typer.Option(0, "--seed", help="seed of the command draws (shard i uses (seed, i))"),
    shard_size: int = typer.Option(1000, "--shard-size", min=1, help="samples per shard file"),
    images: bool = typer.Option(False, "--images", help="also record an RGB image per sample (large)"),
    uniform: float = typer.Option(0.4, "--uniform", min=0.0, help="share of uniform commands"),
    poses: float = typer.Option(0.3, "--poses", min=0.0, help="share of commands around the face's named poses"),
    symmetric: float = typer.Option(0.3, "--symmetric", min=0.0, help="share of left/right symmetric commands"),
    max_rate: float = typer.Option(8.0, "--max-rate", help="slew limit between samples, command units per second"),
    skin: str = SkinOption,
    workers: int = typer.Option(1, "--workers", min=1, help="shards babbled at once (sim backend): local processes, "
                                "or Ray tasks in flight with --ray"),
    ray: str | None = RayOption,
) -> None:
    """Motor babbling: drive the face through random plausible commands, record each at rest
    (command, actuator positions, landmarks[, image]) into an atomically sharded dataset. On the
    sim backend each shard is babbled on a face of its own, so --workers and --ray change where
    the shards run, never what they hold."""
    from functools import partial

    from facetwin.agents.selfmodel.babble import BabbleConfig
    from facetwin.agents.selfmodel.dataset import record_dataset
    from facetwin.app.backends import SIM, open_backend
    from facetwin.shard_pool import ShardPool
    from facetwin.sim.rig import load_face

    model = load_face(face)
    babble_config = BabbleConfig(uniform=uniform, poses=poses, symmetric=symmetric, max_rate=max_rate)
    open_shard = partial(open_backend, SIM, str(model.path), skin=skin) if backend == SIM else None
    pool = ShardPool(workers, ray)
    try:
        with open_backend(backend, model, skin=skin, robot_id=robot_id) as face_backend:
            manifest = record_dataset(face_backend, out, samples, model.config, babble=babble_config,
                                      shard_size=shard_size, seed=seed, images=images,
                                      backend_name=backend,
                                      pool=pool, open_shard_backend=open_shard)
    except KeyboardInterrupt:
        raise Interrupted(f"the shards finished so far are kept in {out}; run the same command again to "
                          f"resume") from None
    settled = sum(s["settled"] for s in manifest.shards)
    typer.echo(f"{out}: {manifest.samples} samples in {len(manifest.shards)} shards ({settled} settled), "
               f"face {manifest.face} (spec {manifest.spec_digest})")



def _refuse_finished(out: Path, overwrite: bool) -> None:
    """A rerun of a finished `train` would silently replace the model others were made from."""
    from facetwin.agents.selfmodel.train import finished_run
    from facetwin.errors import ConfigError

    if finished_run(out) and not overwrite:
        raise ConfigError(f"{out}: a finished model is already there; pass --overwrite to train it again, or "
                          f"choose another --out")


def _hidden(hidden: str) -> tuple[int, ...]:
    from facetwin.errors import ConfigError

    try:
        return tuple(int(h) for h in hidden.split(",") if h.strip())
    except ValueError:
        raise ConfigError(f"--hidden {hidden!r} must be comma-separated layer sizes, e.g. 256,256") from None


def _train_config(epochs: int, seed: int, hidden: str, val_fraction: float, patience: int, batch_size: int):
    from facetwin.agents.selfmodel.train import TrainConfig

    return TrainConfig(hidden=_hidden(hidden), epochs=epochs, seed=seed, val_fraction=val_fraction, patience=patience,
                       batch_size=batch_size)


DataOption = typer.Option(..., "--data", help="babbling dataset folder (facetwin babble --out)")
EpochsOption = typer.Option(200, "--epochs", min=1, help="at most this many epochs (early stopping ends sooner)")
SeedOption = typer.Option(0, "--seed", help="seed of the split, initialisation and batches")
HiddenOption = typer.Option("256,256", "--hidden", help="hidden layer sizes")
ValOption = typer.Option(0.1, "--val-fraction", help="share of the data held out for validation")
PatienceOption = typer.Option(15, "--patience", min=1, help="epochs without improvement before stopping")
BatchOption = typer.Option(256, "--batch-size", min=1)
OverwriteOption = typer.Option(False, "--overwrite", help="train again over a finished model at --out")


def train_forward(
    data: Path = DataOption,
    out: Path = typer.Option(..., "--out", help="model file to write (.pt); an interrupted run resumes"),
    face: str | None = FaceOption,
    epochs: int = EpochsOption,
    seed: int = SeedOption,
    hidden: str = HiddenOption,
    val_fraction: float = ValOption,
    patience: int = PatienceOption,
    batch_size: int = BatchOption,
    overwrite: bool = OverwriteOption,
) -> None:
    """Train the forward self-model (command -> landmarks) on a babbling dataset."""
    from facetwin.agents.selfmodel.train import train_forward as run
    from facetwin.face_config import load_spec

    _refuse_finished(out, overwrite)
    spec = load_spec(face)
    model = run(data, spec, out, _train_config(epochs, seed, hidden, val_fraction, patience, batch_size))
    m = model.metrics
    typer.echo(f"wrote {out}: validation landmark error {m['val_landmark_mm']:.4f} mm after {m['epochs_run']} epochs")


def train_inverse(
    data: Path = DataOption,
    forward: Path = typer.Option(..., "--forward", help="the forward model to train through (facetwin train forward)"),
    out: Path = typer.Option(..., "--out", help="model file to write (.pt); an interrupted run resumes"),
    face: str | None = FaceOption,
    epochs: int = EpochsOption,
    seed: int = SeedOption,
    hidden: str = HiddenOption,
    val_fraction: float = ValOption,
    patience: int = PatienceOption,
    batch_size: int = BatchOption,
    overwrite: bool = OverwriteOption,
) -> None:
    """Train the inverse self-model (target landmarks -> command) on a babbling dataset, through
    the forward model for targets off the face's manifold."""
    from facetwin.agents.selfmodel.train import train_inverse as run
    from facetwin.face_config import load_spec

    _refuse_finished(out, overwrite)
    spec = load_spec(face)
    model = run(data, spec, forward, out, _train_config(epochs, seed, hidden, val_fraction, patience, batch_size))
    m = model.metrics
    typer.echo(f"wrote {out}: validation command L1 {m['val_command_l1']:.4f}, off-manifold landmark error "
               f"{m['val_off_manifold_mm']:.3f} mm (through the forward model) after {m['epochs_run']} epochs")


def train_perceptual(
    data: Path = DataOption,
    out: Path = typer.Option(..., "--out", help="perceptual map to write (.npz)"),
    face: str | None = FaceOption,
    epochs: int = typer.Option(60, "--epochs", min=1, help="epochs of training"),
    seed: int = SeedOption,
    hidden: str = HiddenOption,
) -> None:
    """Train the perceptual map (expression scores -> landmark target) for perceptual retargeting, on
    a babbling dataset whose every face is scored by MediaPipe's blendshape model."""
    from facetwin.agents.selfmodel.perceptual import train_perceptual as run
    from facetwin.face_config import load_spec

    if out.suffix != ".npz":
        raise typer.BadParameter(f"{out}: the perceptual map is an .npz file", param_hint="--out")
    result = run(data, load_spec(face), epochs=epochs, seed=seed, hidden=_hidden(hidden))
    result.map.save(out, {"samples": result.samples, "epochs": result.epochs,
                          "val_landmark_mm": round(result.val_landmark_mm, 4),
                          "val_read_back": round(result.val_read_back, 4)})
    typer.echo(f"wrote {out}: {result.samples} babbled faces; held out, landmark error {result.val_landmark_mm:.3f} mm "
               f"and the expression read back within {result.val_read_back:.3f}")
