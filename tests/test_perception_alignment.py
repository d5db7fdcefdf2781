"""Head-pose removal: known poses are recovered exactly; real faces land in the mm face frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from facetwin.perception.alignment import FaceAligner
from facetwin.perception.detector import FACE_MESH, Detection
from facetwin.perception.pipeline import Perception, PerceptionConfig
from facetwin.perception.reference import reference_landmarks
from facetwin.perception.sources import open_source
from facetwin.topology import LEFT_IRIS, RIGHT_IRIS

FACES = Path(__file__).parents[2] / "shared/data/faces"


def _as_detection(points_camera: np.ndarray, width: int, height: int) -> Detection:
    """Camera points (pixels, x right, y up, z towards the viewer) as MediaPipe normalised landmarks."""
    normalised = np.stack([points_camera[:, 0] / width, -points_camera[:, 1] / height, -points_camera[:, 2] / width], 1)
    return Detection((width, height), normalised.astype(np.float32))


@pytest.mark.parametrize("yaw_pitch_roll", [(0.0, 0.0, 0.0), (25.0, -10.0, 5.0), (-30.0, 15.0, -8.0)])
def test_known_head_pose_is_removed_and_returned(yaw_pitch_roll):
    yaw, pitch, roll = yaw_pitch_roll
    rotation = Rotation.from_euler("YXZ", [yaw, -pitch, roll], degrees=True).as_matrix()
    face = reference_landmarks().copy()
    face[14, 1] -= 6.0  # an expression: the lower lip drops
    camera = 2.5 * face @ rotation.T + np.array([320.0, -240.0, 10.0])
    landmarks, pose = FaceAligner().align(_as_detection(camera, 640, 480))
    assert landmarks.dtype == np.float32 and landmarks.shape == (478, 3)
    np.testing.assert_allclose(landmarks, face, atol=0.05)
    np.testing.assert_allclose(pose.euler_deg(), yaw_pitch_roll, atol=1e-3)
    assert pose.scale == pytest.approx(2.5, rel=1e-4)
    np.testing.assert_allclose(pose.matrix()[:3, 3], [320.0, -240.0, 10.0], atol=0.1)


def test_no_face_aligns_to_none():
    assert FaceAligner().align(Detection((640, 480), None)) is None


@pytest.mark.skipif(not FACES.is_dir(), reason=f"sample faces not found at {FACES}")
@pytest.mark.parametrize("landmarker", [None, FACE_MESH])
def test_real_faces_land_in_the_millimetre_face_frame(landmarker):
    """Both detectors; the FaceLandmarker's own iris depths would put a turned face's pupils 46 mm apart."""
    with Perception(PerceptionConfig(landmarker=landmarker), video=False) as perception:
        frontal = perception.process(next(iter(open_source(FACES / "0-f15-hao-ph.jpg"))))
        turned = perception.process(next(iter(open_source(FACES / "45-m7-di-ph.jpg"))))
    for percept in (frontal, turned):
        pupils = percept.raw_landmarks[[LEFT_IRIS[0], RIGHT_IRIS[0]]]
        assert 50.0 < np.linalg.norm(pupils[0] - pupils[1]) < 75.0  # human pupil distances, in mm
        assert pupils[0, 0] > 0 > pupils[1, 0]  # the face's own left eye is at +x
        assert abs(pupils.mean(0)[1]) < 8.0  # origin between the pupils
    assert abs(frontal.pose.euler_deg()[0]) < 10.0
    assert abs(turned.pose.euler_deg()[0]) > 20.0
