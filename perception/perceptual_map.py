"""Perceptual retargeting's map: what a viewer reads on a face -> where the robot's landmarks go.

A person's expression, for a viewer, is what it reads as: the blendshapes MediaPipe's model
scores on the person's landmarks, relative to the person's own neutral face (so a face that
rests with raised brows does not make the robot's brows rise). The map takes those expression
scores to the landmark displacement of the robot face that reads the same: a small MLP learned
from the robot's own motor babbling, every babbled face scored by the same model
(`facetwin train perceptual`). What reaches the policy is then a landmark target the face can
make and that reads as the person does, rather than the person's landmark displacements scaled
and clipped coordinate by coordinate.

It runs in numpy (two hidden layers), so perception needs no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from facetwin.perception.blendshape_reader import NAMES
from facetwin.perception.errors import PerceptionError
from facetwin.spec import N_LANDMARKS

INPUTS = tuple(name for name in NAMES if name != "_neutral" and not name.startswith("eyeLook"))
"""The expression scores the map reads: gaze is the eyes' business (retargeted as a gaze angle)."""
INPUT_INDEX = np.array([NAMES.index(name) for name in INPUTS])
FORMAT = "facetwin-perceptual-map-1"


class PerceptualMap:
    """Expression scores (..., len(INPUTS)) -> landmark displacements (..., 478, 3) mm.

    `domain` (2, len(INPUTS)) is the lowest and highest score of each input on the faces the map
    was learned from: what the face can be read as. Scores beyond it are clamped to it, because the
    network's extrapolation there means nothing: a posed anger's mouthRollLower and mouthShrugLower,
    which no motion of mira reads as, times the gain of 3, opened the twin's jaw wide."""

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray]], face: str, digest: str,
                 domain: np.ndarray | None = None):
        self.weights = [(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in weights]
        self.face, self.digest = face, digest
        self.domain = None if domain is None else np.asarray(domain, dtype=np.float32)

    def __call__(self, expression: np.ndarray) -> np.ndarray:
        h = np.asarray(expression, dtype=np.float32)
        if self.domain is not None:
            h = np.clip(h, self.domain[0], self.domain[1])
        for k, (w, b) in enumerate(self.weights):
            h = h @ w + b
            if k < len(self.weights) - 1:
                h = np.maximum(h, 0.0)
        return h.reshape(*h.shape[:-1], N_LANDMARKS, 3)

    @staticmethod
    def expression(scores: np.ndarray, neutral_scores: np.ndarray) -> np.ndarray:
        """The map's input from full blendshape vectors (..., 52): a face's scores minus its neutral's."""
        return (np.asarray(scores) - np.asarray(neutral_scores))[..., INPUT_INDEX]

    def save(self, path: Path, extra: dict | None = None) -> None:
        from facetwin.atomic import atomic_write

        arrays = {f"w{k}": w for k, (w, _) in enumerate(self.weights)}
        arrays |= {f"b{k}": b for k, (_, b) in enumerate(self.weights)}
        if self.domain is not None:
            arrays["domain"] = self.domain
        meta = {"format": FORMAT, "face": self.face, "digest": self.digest, "inputs": list(INPUTS), **(extra or {})}
        with atomic_write(path) as handle:
            np.savez(handle, meta=np.array(json.dumps(meta)), **arrays)

    @classmethod
    def load(cls, path: str | Path, digest: str | None = None) -> PerceptualMap:
        """Read a map; with `digest`, refuse one learned on another face (or on this face before a change)."""
        path = Path(path)
        try:
            with np.load(path) as data:
                meta = json.loads(str(data["meta"]))
                layers = len([k for k in data.files if k.startswith("w")])
                weights = [(data[f"w{k}"], data[f"b{k}"]) for k in range(layers)]
                domain = data["domain"] if "domain" in data.files else None
        except (OSError, ValueError, KeyError) as exc:
            raise PerceptionError(f"{path}: not a perceptual map ({type(exc).__name__}: {exc})") from None
        if meta.get("format") != FORMAT or meta.get("inputs") != list(INPUTS):
            raise PerceptionError(f"{path}: not a {FORMAT} file")
        if digest is not None and meta["digest"] != digest:
            raise PerceptionError(f"{path}: learned on face {meta['face']!r} digest {meta['digest']}, not {digest}; "
                                  "train it again (facetwin train perceptual)")
        return cls(weights, meta["face"], meta["digest"], domain)
