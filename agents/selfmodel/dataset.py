"""Babbling datasets on disk: shards written atomically, a manifest that ties them to one face.

A dataset is a folder:

    manifest.json        face name, spec digest, backend, babble config, seed, the shards written
    neutral.npz          the face's landmarks at its neutral command, at rest
    shard-00000.npz      command, positions, landmarks, settled[, images] for `shard_size` samples
    ...

Each shard is written to a temporary file and renamed, then the manifest (also atomic) lists it.
A run that is interrupted loses at most the shards in flight: running the same command again
reads the manifest and babbles the missing shards only. Shard `i` starts from rest and draws its
commands from the seed `(seed, i)`, so it depends on nothing else: a resumed dataset, or one
babbled by several processes or on Ray (facetwin.shard_pool), holds the bytes one uninterrupted
run writes. Shards finish in any order; the manifest lists them in order, and a finished shard
it does not list yet (its worker's run was killed) is taken up by the rerun when the key stored
in it matches. Reading
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
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.agents.selfmodel.babble import BabbleConfig, Babbler, BabbleRecord
from facetwin.atomic import atomic_write
from facetwin.backend import FaceBackend
from facetwin.errors import ConfigError
from facetwin.face_config import FaceConfig
from facetwin.shard_pool import ShardPool
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


def _write_shard(path: Path, record: BabbleRecord, key: str) -> None:
    arrays = {"command": record.command, "positions": record.positions, "landmarks": record.landmarks,
              "settled": record.settled, "key": np.array(key)}
    if record.images is not None:
        arrays["images"] = record.images
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)


def _remove_stale_temporaries(root: Path) -> None:
    """Temporary files a killed run left behind (a clean failure removes its own)."""
    for stale in root.glob(".*.tmp"):
        stale.unlink(missing_ok=True)


@dataclass(frozen=True)
class ShardTask:
    """One shard of a dataset, all a worker needs to babble and write it: `open_backend` opens the
    worker's own face (None: the backend the caller passes in this process)."""

    root: Path
    index: int
    samples: int
    seed: int
    config: FaceConfig
    babble: BabbleConfig
    images: bool
    key: str
    open_backend: Callable[[], FaceBackend] | None = None


def shard_key(spec: FaceSpec, babble: BabbleConfig, seed: int, index: int, samples: int, images: bool) -> str:
    """What a shard's contents follow from, stored in the shard: a shard a killed run finished but
    never listed in the manifest is taken up by the rerun only if its key matches."""
    return json.dumps({"spec": spec.digest, "babble": babble.model_dump(), "seed": seed, "index": index,
                       "samples": samples, "images": images}, sort_keys=True)


def babble_shard(task: ShardTask, backend: FaceBackend | None = None) -> dict:
    """Babble shard `task.index` from rest with its own seed (seed, index), write it atomically and
    return its manifest entry. Starting every shard from rest on its own stream is what makes a
    shard the same whichever worker ran it and whatever ran before it."""
    own = backend is None
    if own:
        if task.open_backend is None:
            raise ConfigError(f"shard {task.index} of {task.root}: no backend to babble on")
        backend = task.open_backend()
    try:
        babbler = Babbler(backend, task.config, task.babble, images=task.images)
        record = babbler.run(task.samples, np.random.default_rng([task.seed, task.index]))
    finally:
        if own:
            backend.close()
    name = shard_name(task.index)
    _write_shard(task.root / name, record, task.key)
    return _entry(task.root / name, task.samples, int(record.settled.sum()))


def _entry(path: Path, samples: int, settled: int) -> dict:
    return {"file": path.name, "samples": samples, "settled": settled, "sha256": _sha256(path)}


def _finished_unlisted(path: Path, key: str) -> dict | None:
    """The manifest entry of a shard a killed run wrote but did not list, if it is this shard."""
    try:
        with np.load(path) as data:
            if str(data["key"]) != key:
                return None
            return _entry(path, len(data["command"]), int(data["settled"].sum()))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def record_dataset(backend: FaceBackend, out: str | Path, samples: int, config: FaceConfig, *,
                   babble: BabbleConfig | None = None, shard_size: int = 1000, seed: int = 0,
                   images: bool = False, backend_name: str = "sim", progress: bool = True,
                   pool: ShardPool | None = None,
                   open_shard_backend: Callable[[], FaceBackend] | None = None) -> Manifest:
    """Babble `samples` samples into `out`, resuming a dataset already there; a listed shard that
    is missing or no longer matches its hash is recomputed from its seed first, so a rerun never
    reports a damaged dataset complete. `backend` records the neutral face and babbles the shards
    in this process; with `open_shard_backend`, each shard is babbled on a face of its own instead,
    which is what lets `pool` run them elsewhere (other processes, Ray) with the same result."""
    if samples < 1 or shard_size < 1:
        raise ConfigError(f"samples ({samples}) and shard_size ({shard_size}) must be >= 1")
    pool = pool or ShardPool()
    if (pool.workers > 1 or pool.ray_address is not None) and open_shard_backend is None:
        raise ConfigError(f"babbling on {pool.where} needs a face each worker can open (the sim backend)")
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
    at_rest = Babbler(backend, config, babble)  # refuses a config of another face before anything is written
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(root)
    manifest.write(root)
    if not (root / NEUTRAL).is_file():
        with atomic_write(root / NEUTRAL) as handle:
            np.savez(handle, landmarks=at_rest.neutral_landmarks())

    def task(index: int, n: int) -> ShardTask:
        return ShardTask(root, index, n, seed, config, babble, images, shard_key(spec, babble, seed, index, n, images),
                         open_shard_backend)

    tasks = []
    for index, shard in enumerate(manifest.shards):
        path = root / shard["file"]
        if not path.is_file() or _sha256(path) != shard["sha256"]:
            tqdm.write(f"{path}: missing or damaged (hash mismatch); recomputed", file=sys.stderr)
            tasks.append(task(index, shard["samples"]))
    finished: dict[int, dict] = {}
    start, index = manifest.samples, len(manifest.shards)
    while start < samples:
        n = min(shard_size, samples - start)
        current = task(index, n)
        entry = _finished_unlisted(root / shard_name(index), current.key)
        if entry is None:
            tasks.append(current)
        else:
            finished[index] = entry
        start, index = start + n, index + 1
    _list_finished(manifest, finished, root)
    run = babble_shard if open_shard_backend is not None else partial(babble_shard, backend=backend)
    sizes = [t.samples for t in tasks]
    for k, entry in pool.run(run, tasks, sizes, desc=f"babble {spec.name}", unit="sample",
                             total=max(samples, manifest.samples), progress=progress):
        if tasks[k].index < len(manifest.shards):
            manifest.shards[tasks[k].index] = entry
            manifest.write(root)
        else:
            finished[tasks[k].index] = entry
            _list_finished(manifest, finished, root)
    return manifest


def _list_finished(manifest: Manifest, finished: dict[int, dict], root: Path) -> None:
    """The manifest lists shards in order, so a shard is listed once every shard before it is."""
    if len(manifest.shards) not in finished:
        return
    while len(manifest.shards) in finished:
        manifest.shards.append(finished.pop(len(manifest.shards)))
    manifest.write(root)


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
