"""A sequence of target expressions for one face, as a file: what the retargeter produced from a
person, replayable by the environments and the evaluation without running perception again.

The file is an .npz holding `landmarks` (T, 478, 3) float32 in the face frame (mm), `visible` (T,)
bool (False where no face was seen and the target relaxed towards neutral), `time` (T,) seconds,
`passthrough` (T, n_actuators) float32 commands for the actuators a face-frame target cannot
express (NaN where none), and the face's name and spec digest, which tie it to one face.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.atomic import atomic_write
from facetwin.errors import ConfigError
from facetwin.spec import N_LANDMARKS, FaceSpec

FORMAT = 1


@dataclass
class TargetSequence:
    face: str
    spec_digest: str
    landmarks: np.ndarray
    visible: np.ndarray
    time: np.ndarray
    passthrough: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return len(self.landmarks)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        with atomic_write(path) as handle:
            np.savez_compressed(
                handle, format=FORMAT, face=self.face, spec_digest=self.spec_digest, source=self.source,
                landmarks=self.landmarks.astype(np.float32), visible=self.visible.astype(bool),
                time=self.time.astype(np.float64), passthrough=self.passthrough.astype(np.float32),
            )
        return path

    @classmethod
    def load(cls, path: str | Path, spec: FaceSpec | None = None) -> TargetSequence:
        """Read a target file; with `spec`, refuse one recorded for another face."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such target file")
        try:
            with np.load(path, allow_pickle=False) as data:
                sequence = cls(
                    face=str(data["face"]), spec_digest=str(data["spec_digest"]), source=str(data["source"]),
                    landmarks=data["landmarks"].astype(np.float32), visible=data["visible"].astype(bool),
                    time=data["time"].astype(np.float64), passthrough=data["passthrough"].astype(np.float32),
                )
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
            raise ConfigError(f"{path}: not a facetwin target file ({error})") from None
        t = len(sequence.landmarks)
        if t == 0 or sequence.landmarks.shape != (t, N_LANDMARKS, 3) or sequence.visible.shape != (t,):
            raise ConfigError(f"{path}: landmarks must be (T, {N_LANDMARKS}, 3) with T >= 1 and a flag per frame")
        if not np.isfinite(sequence.landmarks).all():
            raise ConfigError(f"{path}: landmarks hold NaN or infinite values")
        if spec is not None and sequence.spec_digest != spec.digest:
            raise ConfigError(f"{path}: targets were made for face {sequence.face!r} (spec {sequence.spec_digest}), "
                              f"not for {spec.name!r} (spec {spec.digest})")
        return sequence
