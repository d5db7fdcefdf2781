"""The self-model's figures, as dicts for the reports: command error on held-out babbling (Emo's
metric) and landmark error on real people, for every baseline, the inverse model and the oracle,
plus the learning curves as a picture.

Commands are scored at equilibrium (`facetwin.sim.twin_batch.equilibrium_landmarks`): each is held
on the twin, servo model included, until the servos settle (backlash and deadband count), and the
landmarks then are compared with the target.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.agents.metrics import command_l1, landmark_error
from facetwin.agents.policies.policy import Policy
from facetwin.agents.selfmodel.babble import BabbleConfig, Babbler, BabbleRecord
from facetwin.agents.selfmodel.models import SelfModel
from facetwin.figure import save_figure
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace
from facetwin.sim.twin_batch import equilibrium_landmarks
from facetwin.target_sequence import TargetSequence

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm")


def babble_heldout(model: FaceModel, samples: int = 2000, seed: int = 12345,
                   babble: BabbleConfig | None = None) -> BabbleRecord:
    """A fresh babble on the twin, with a seed no training dataset uses by default."""
    with SimFace(model) as twin:
        return Babbler(twin, model.config, babble).run(samples, np.random.default_rng([seed, 0]))


def heldout_command_l1(policies: dict[str, Policy], heldout: BabbleRecord) -> dict[str, float]:
    """Mean command L1 (commands scaled to [0, 1], face actuators) of each policy on the held-out
    babbled faces: how well it recovers the command that made a face it never saw."""
    keep = heldout.settled
    out = {}
    for name, policy in policies.items():
        policy.reset()
        commands = policy.act_batch(heldout.landmarks[keep])
        out[name] = float(command_l1(commands, heldout.command[keep], policy.spec).mean())
    out["samples"] = int(keep.sum())
    return out


def media_targets(path: Path, model: FaceModel) -> TargetSequence:
    """A person's targets on the face. A still has no previous frame to blend from, so it is
    retargeted without the re-acquisition ease-in that a stream uses when a face reappears."""
    from facetwin.agents.mimic.human_targets import retarget_source
    from facetwin.perception.retarget import RetargetConfig

    still = Path(path).suffix.lower() in IMAGE_SUFFIXES
    with SimFace(model) as twin:
        return retarget_source(path, twin, progress=False, retarget=RetargetConfig(reacquire_s=0.0) if still else None)


def media_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES)


def target_errors(policies: dict[str, Policy], sequence: TargetSequence, model: FaceModel) -> dict[str, float]:
    """Mean landmark error (mm) at equilibrium of each policy over the frames with a face."""
    targets = sequence.landmarks[sequence.visible]
    out = {}
    for name, policy in policies.items():
        policy.reset()
        faces = equilibrium_landmarks(model, policy.act_batch(targets))
        out[name] = float(landmark_error(faces, targets, model.spec).mean())
    return out


def media_errors(policies: dict[str, Policy], folder: Path, model: FaceModel,
                 progress: bool = True) -> dict[str, dict]:
    """For every image and clip in `folder`: frames, frames with a face, and each policy's error
    (mm); files without any face are listed with `errors` None."""
    from facetwin.perception.errors import PerceptionError

    results = {}
    for path in tqdm(media_files(folder), desc="people", unit="file", disable=not progress):
        try:
            sequence = media_targets(path, model)
        except PerceptionError:
            sequence = None
        if sequence is None or not sequence.visible.any():
            results[path.name] = {"frames": 0 if sequence is None else len(sequence), "frames_with_face": 0,
                                  "errors": None}
            continue
        results[path.name] = {"frames": len(sequence), "frames_with_face": int(sequence.visible.sum()),
                              "errors": target_errors(policies, sequence, model)}
    return results


def evaluate_selfmodel(data: str | Path, faces: str | Path | None = None, face: str | None = None, model=None,
                       heldout_samples: int = 5000, seed: int = 12345, progress: bool = True) -> dict:
    """Every figure of the self-model section: command L1 on a fresh held-out babble for neutral,
    random, nearest neighbour (over `data`) and the inverse model, and, with `faces`, the landmark
    error of those and the oracle on every image and clip there."""
    from facetwin.agents.policies.registry import make_policy
    from facetwin.sim.rig import load_face

    face_model = load_face(face)
    policies = {name: make_policy(name, face_model, model=model, data=data, seed=0)
                for name in ("neutral", "random", "nn", "inverse")}
    heldout = babble_heldout(face_model, heldout_samples, seed)
    out = {"face": face_model.spec.name, "heldout_command_l1": heldout_command_l1(policies, heldout)}
    if faces is not None:
        policies["oracle"] = make_policy("oracle", face_model)
        out["media_mm"] = media_errors(policies, Path(faces), face_model, progress)
    return out


def plot_training(forward: SelfModel, inverse: SelfModel, path: Path) -> Path:
    """Learning curves of both self-models (validation figures per epoch) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs = [row["epoch"] for row in forward.history]
    axes[0].plot(epochs, [row["val_landmark_mm"] for row in forward.history])
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("landmark error (mm)")
    axes[0].set_title("forward model: command -> landmarks (validation)")
    epochs = [row["epoch"] for row in inverse.history]
    axes[1].plot(epochs, [row["val_command_l1"] for row in inverse.history], label="command L1, babbled")
    axes[1].plot(epochs, [row["val_landmark_mm"] for row in inverse.history],
                 label="landmark mm, babbled (via forward)")
    axes[1].plot(epochs, [row["val_off_manifold_mm"] for row in inverse.history],
                 label="landmark mm, moved off the manifold (via forward)")
    axes[1].axhline(0.03, color="grey", ls=":", lw=1, label="goal L1 0.03")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("epoch")
    axes[1].set_title("inverse model: landmarks -> command (validation)")
    axes[1].legend(fontsize=8, loc="upper right", bbox_to_anchor=(1.0, 0.92))
    fig.tight_layout()
    return save_figure(fig, path, dpi=110)
