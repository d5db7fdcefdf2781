"""Babbling datasets on disk: shards written atomically, a manifest that ties them to one face.

A dataset is a folder:

    manifest.json        face name, spec digest, backend, babble config, seed, the shards written
    neutral.npz          the face's landmarks at its neutral command, at rest
    shard-00000.npz      command, positions, landmarks, settled[, images] for `shard_size` samples
    ...

Each shard is written to a temporary file and renamed, then the manifest (also atomic) lists it.
A run that is interrupted loses at most the shard in flight: running the same command again
reads the manifest and babbles the missing shards only. Shard `i` draws its commands from the
seed `(seed, i)`, so a resumed dataset holds what one uninterrupted run would have drawn. Reading
a dataset with another face's spec is refused with a ConfigError.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.agents.selfmodel.babble import BabbleConfig, Babbler, BabbleRecord
from facetwin.atomic import atomic_write
from facetwin.backend import FaceBackend
from facetwin.errors import ConfigError
from facetwin.face_config import FaceConfig
from facetwin.spec import N_LANDMARKS, FaceSpec

FORMAT = 1
MANIFEST = "manifest.json"
NEUTRAL = "neutral.npz"
FIELDS = ("command", "positions", "landmarks", "settled")


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.npz"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Manifest:
    """What a dataset holds; `shards` lists the completed shards in order."""

    face: str
    spec_digest: str
    backend: str
    babble: dict
    seed: int
    shard_size: int
    images: bool
    samples_requested: int
    shards: list[dict]
    created: str
    updated: str
    format: int = FORMAT

    @property
    def samples(self) -> int:
        return sum(s["samples"] for s in self.shards)

    def to_json(self) -> str:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["samples"] = self.samples
        return json.dumps(data, indent=1)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
            data.pop("samples", None)
            return cls(**data)
        except FileNotFoundError:
            raise ConfigError(f"{path.parent}: not a babbling dataset (no {MANIFEST})") from None
        except (OSError, ValueError, TypeError) as error:
            raise ConfigError(f"{path}: unreadable dataset manifest ({error})") from None

    def write(self, root: Path) -> None:
        self.updated = _now()
        with atomic_write(root / MANIFEST, "w") as handle:
            handle.write(self.to_json())


def _write_shard(path: Path, record: BabbleRecord) -> None:
    arrays = {"command": record.command, "positions": record.positions, "landmarks": record.landmarks,
              "settled": record.settled}
    if record.images is not None:
        arrays["images"] = record.images
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)


def _remove_stale_temporaries(root: Path) -> None:
    """Temporary files a killed run left behind (a clean failure removes its own)."""
    for stale in root.glob(".*.tmp"):
        stale.unlink(missing_ok=True)


def record_dataset(backend: FaceBackend, out: str | Path, samples: int, config: FaceConfig, *,
                   babble: BabbleConfig | None = None, shard_size: int = 1000, seed: int = 0,
                   images: bool = False, backend_name: str = "sim", progress: bool = True) -> Manifest:
    """Babble `samples` samples on `backend` into `out`, resuming a dataset already there; a
    listed shard that is missing or no longer matches its hash is recomputed from its seed first,
    so a rerun never reports a damaged dataset complete."""
    if samples < 1 or shard_size < 1:
        raise ConfigError(f"samples ({samples}) and shard_size ({shard_size}) must be >= 1")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: is a file; a babbling dataset is a folder (choose a new or empty one)")
    babble = babble or BabbleConfig()
    spec = backend.spec
    if (root / MANIFEST).is_file():
        manifest = Manifest.read(root / MANIFEST)
        _check_compatible(manifest, root, spec, babble, seed, shard_size, images)
        manifest.samples_requested = max(samples, manifest.samples_requested)
    else:
        if root.exists() and any(p for p in root.iterdir() if not p.name.startswith(".")):
            raise ConfigError(f"{root}: exists and is not a babbling dataset; choose an empty or new folder")
        manifest = Manifest(face=spec.name, spec_digest=spec.digest, backend=backend_name, babble=babble.model_dump(),
                            seed=seed, shard_size=shard_size, images=images, samples_requested=samples, shards=[],
                            created=_now(), updated=_now())
    babbler = Babbler(backend, config, babble, images=images)
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(root)
    manifest.write(root)
    if not (root / NEUTRAL).is_file():
        with atomic_write(root / NEUTRAL) as handle:
            np.savez(handle, landmarks=babbler.neutral_landmarks())
    for index, shard in enumerate(manifest.shards):
        path = root / shard["file"]
        if not path.is_file() or _sha256(path) != shard["sha256"]:
            manifest.shards[index] = _record_shard(babbler, root, index, shard["samples"], seed)
            manifest.write(root)
            tqdm.write(f"{path}: missing or damaged (hash mismatch); recomputed", file=sys.stderr)
    done = manifest.samples
    bar = tqdm(total=samples, initial=min(done, samples), desc=f"babble {spec.name}", unit="sample",
               disable=not progress, dynamic_ncols=True)
    with bar:
        while manifest.samples < samples:
            n = min(shard_size, samples - manifest.samples)
            manifest.shards.append(_record_shard(babbler, root, len(manifest.shards), n, seed,
                                                 on_sample=lambda: bar.update(1)))
            manifest.write(root)
    return manifest


def _record_shard(babbler: Babbler, root: Path, index: int, n: int, seed: int,
                  on_sample: Callable[[], None] | None = None) -> dict:
    """Babble shard `index` (`n` samples drawn with the seed (seed, index)), write it, return its manifest entry."""
    record = babbler.run(n, np.random.default_rng([seed, index]), on_sample=on_sample)
    name = shard_name(index)
    _write_shard(root / name, record)
    return {"file": name, "samples": n, "settled": int(record.settled.sum()), "sha256": _sha256(root / name)}


def _check_compatible(manifest: Manifest, root: Path, spec: FaceSpec, babble: BabbleConfig, seed: int,
                      shard_size: int, images: bool) -> None:
    if manifest.spec_digest != spec.digest:
        raise ConfigError(f"{root}: a dataset of face {manifest.face!r} (spec {manifest.spec_digest}), "
                          f"not of {spec.name!r} (spec {spec.digest}); choose another --out")
    mismatched = [name for name, ours, theirs in (("babble config", babble.model_dump(), manifest.babble),
                                                  ("seed", seed, manifest.seed),
                                                  ("shard size", shard_size, manifest.shard_size),
                                                  ("images", images, manifest.images)) if ours != theirs]
    if mismatched:
        raise ConfigError(f"{root}: cannot resume, the existing dataset was made with another "
                          f"{', '.join(mismatched)}; choose another --out")


class BabbleDataset:
    """A dataset on disk, checked against a face when opened; arrays are loaded on demand."""

    def __init__(self, root: Path, manifest: Manifest):
        self.root = root
        self.manifest = manifest

    @classmethod
    def open(cls, root: str | Path, spec: FaceSpec | None = None) -> BabbleDataset:
        root = Path(root)
        manifest = Manifest.read(root / MANIFEST)
        if manifest.format != FORMAT:
            raise ConfigError(f"{root}: dataset format {manifest.format}, this facetwin reads format {FORMAT}")
        if spec is not None and manifest.spec_digest != spec.digest:
            raise ConfigError(f"{root}: a dataset of face {manifest.face!r} (spec {manifest.spec_digest}), "
                              f"not of {spec.name!r} (spec {spec.digest})")
        if not manifest.shards:
            raise ConfigError(f"{root}: the dataset holds no complete shard yet")
        return cls(root, manifest)

    def __len__(self) -> int:
        return self.manifest.samples

    def neutral(self) -> np.ndarray:
        path = self.root / NEUTRAL
        try:
            with np.load(path) as data:
                neutral = data["landmarks"].astype(np.float32)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
            raise ConfigError(f"{path}: unreadable neutral landmarks ({error})") from None
        if neutral.shape != (N_LANDMARKS, 3):
            raise ConfigError(f"{path}: neutral landmarks have shape {neutral.shape}, expected ({N_LANDMARKS}, 3)")
        return neutral

    def load(self, fields: tuple[str, ...] = FIELDS, verify: bool = True) -> dict[str, np.ndarray]:
        """Every shard's `fields` concatenated in order; `verify` checks each shard's hash."""
        parts: dict[str, list[np.ndarray]] = {f: [] for f in fields}
        for shard in self.manifest.shards:
            path = self.root / shard["file"]
            if verify and (not path.is_file() or _sha256(path) != shard["sha256"]):
                raise ConfigError(f"{path}: missing or changed since it was written (hash mismatch)")
            try:
                with np.load(path) as data:
                    for f in fields:
                        parts[f].append(data[f])
            except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
                raise ConfigError(f"{path}: unreadable shard ({error})") from None
            if len(parts[fields[0]][-1]) != shard["samples"]:
                raise ConfigError(f"{path}: holds {len(parts[fields[0]][-1])} samples, the manifest says "
                                  f"{shard['samples']}")
        return {f: np.concatenate(v) for f, v in parts.items()}
