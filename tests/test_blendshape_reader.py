"""The blendshape model read from landmarks reproduces the FaceLandmarker on real faces, and says
what a twin's geometry reads as without rendering it."""

from __future__ import annotations

import numpy as np
import pytest

from facetwin.faces import shipped_landmarker
from facetwin.perception.blendshape_reader import NAMES, BlendshapeReader
from facetwin.perception.errors import PerceptionError


@pytest.fixture(scope="module")
def reader():
    return BlendshapeReader(shipped_landmarker())


def test_it_reproduces_the_landmarker_on_a_real_face(reader):
    import imageio.v3 as iio

    from facetwin.faces import sample_clip
    from facetwin.perception.face_landmarker import TaskLandmarkerDetector

    frames = [frame for k, frame in enumerate(iio.imiter(sample_clip())) if k % 60 == 0]
    with TaskLandmarkerDetector(shipped_landmarker(), video=False) as detector:
        detections = [d for d in map(detector.detect, frames) if d.landmarks is not None]
    assert len(detections) >= 5
    for detection in detections:
        assert list(detection.blendshapes) == list(NAMES)
        pixels = detection.landmarks[:, :2] * np.array(detection.image_size)
        expected = np.array(list(detection.blendshapes.values()))
        assert np.abs(reader.read(pixels) - expected).max() < 1e-4


def test_it_reads_batches_and_ignores_scale(reader, model):
    from facetwin.sim.fast_skin import FastSkin

    skin = FastSkin(model)
    spec = model.spec
    open_jaw = spec.neutral_command.copy()
    open_jaw[spec.actuator_names.index("jaw_open")] = 1.0
    landmarks = skin.landmarks(spec.command_to_position(np.stack([spec.neutral_command, open_jaw])))
    scores = reader.read_face(landmarks)
    assert scores.shape == (2, len(NAMES))
    jaw = NAMES.index("jawOpen")
    assert scores[1, jaw] > scores[0, jaw] + 0.3
    pixels = landmarks[0, :, :2] * np.array([1.0, -1.0])
    assert np.allclose(reader.read(pixels), reader.read(3.0 * pixels + 40.0), atol=1e-4)


def test_a_bundle_without_the_model_is_one_line(tmp_path):
    path = tmp_path / "x.task"
    path.write_bytes(b"not a zip")
    with pytest.raises(PerceptionError, match=f"{path}: no face_blendshapes.tflite"):
        BlendshapeReader(path)
