"""Seeded mutations of a face's files: each is refused with the project's ConfigError or loads a
face whose landmarks stay finite and inside a 500 mm box, and none hangs.

A mutation is what an editor slip, a unit mistake or a damaged download does: a value replaced by
a huge, negative, non-finite, boolean or text one, a key dropped, a line lost or doubled, bytes
flipped, the file cut short.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from facetwin.errors import ConfigError
from facetwin.face_config import load_face_config
from facetwin.faces import resolve_face
from tests.guards import time_limit

N_MUTATIONS = 300
BOX_MM = 500.0
REPLACEMENTS = [1e21, -1e21, 3e3, -0.0, 0.0, -1, 7, True, False, None, "x", "nan", ".inf", [], {}, [1, 2]]


def _replace_a_number(text: str, rng: random.Random) -> str:
    tokens = text.split(" ")
    numeric = [i for i, t in enumerate(tokens) if t.strip("[],:{}\n").lstrip("-").replace(".", "", 1).isdigit()]
    if not numeric:
        return text
    i = rng.choice(numeric)
    core = tokens[i].strip("[],:{}\n")
    tokens[i] = tokens[i].replace(core, str(rng.choice(REPLACEMENTS)), 1)
    return " ".join(tokens)


def _line_edit(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    i = rng.randrange(len(lines))
    kind = rng.choice(["drop", "double", "swap", "cut"])
    if kind == "drop":
        del lines[i]
    elif kind == "double":
        lines.insert(i, lines[i])
    elif kind == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        return "".join(lines[:i])
    return "".join(lines)


def _byte_edit(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One seeded mutation of a text file."""
    kind = rng.choice(["number", "number", "line", "bytes"])
    if kind == "bytes":
        return _byte_edit(data, rng)
    text = data.decode()
    return (_replace_a_number(text, rng) if kind == "number" else _line_edit(text, rng)).encode()


def _landmarks_in_the_box(face_yaml: Path) -> str | None:
    """Why the accepted face at `face_yaml` is unsafe (landmarks not finite or outside the box
    at its neutral, its ends or random commands), or None."""
    from facetwin.sim.fast_skin import FastSkin
    from facetwin.sim.rig import load_face

    model = load_face(face_yaml)
    low = np.array([a.low for a in model.spec.actuators])
    high = np.array([a.high for a in model.spec.actuators])
    neutral = np.array([a.neutral for a in model.spec.actuators])
    positions = np.vstack([neutral, low, high, np.random.default_rng(0).uniform(low, high, (8, len(low)))])
    landmarks = FastSkin(model).landmarks(positions)
    if not np.isfinite(landmarks).all():
        return "non-finite landmarks"
    extent = float(np.abs(landmarks).max())
    return None if extent <= BOX_MM / 2 else f"a landmark {extent:.0f} mm from the origin"


@pytest.mark.parametrize("target", ["face.yaml", "skin.obj"])
def test_mutated_faces_are_refused_or_safe(tmp_path, target):
    source = resolve_face(None).parent
    original = (source / target).read_bytes()
    outcomes = {"refused": 0, "accepted": 0}
    failures = []
    for seed in range(N_MUTATIONS):
        face = tmp_path / f"m{seed}"
        shutil.copytree(source, face, ignore=shutil.ignore_patterns("policies", "targets"))
        (face / target).write_bytes(mutate(original, random.Random(seed)))
        try:
            with time_limit(30.0):
                load_face_config(face / "face.yaml")
                problem = _landmarks_in_the_box(face / "face.yaml")
        except ConfigError as error:
            outcomes["refused"] += 1
            if "\n" in str(error):
                failures.append(f"seed {seed}: a ConfigError of more than one line: {error!r}")
        except Exception as error:  # noqa: BLE001 (every other exception is the finding)
            failures.append(f"seed {seed}: {type(error).__name__}: {error}")
        else:
            outcomes["accepted"] += 1
            if problem is not None:
                failures.append(f"seed {seed}: accepted with {problem}")
        shutil.rmtree(face)
    assert failures == []
    assert outcomes["refused"] > 0 and outcomes["accepted"] > 0
