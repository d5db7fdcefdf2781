"""`facetwin track`: run perception over a source and keep everything it saw in one .npz.

The file holds, per frame: the time stamp, a face-visible flag, the detector's image-space
landmarks, face-frame landmarks (raw and One Euro filtered), the head pose, and blendshapes and
MediaPipe's transform when the Tasks landmarker ran. Frames without a face hold NaN. It is written
atomically, and it is itself a frame source: replaying it re-runs alignment, filtering and
retargeting without the detector.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facetwin.atomic import atomic_write
from facetwin.perception.detector import Detection
from facetwin.perception.errors import PerceptionError, SourceError
from facetwin.perception.pipeline import Percept, Perception, PerceptionConfig
from facetwin.perception.sources import LandmarkSequenceSource, open_source
from facetwin.spec import N_LANDMARKS

TRACK_FORMAT = 1
TRACK_KEYS = ("source", "detector", "fps", "is_stream", "time", "face_visible", "image_size", "landmarks_image",
              "landmarks", "landmarks_filtered", "head_pose", "head_euler_deg")
"""The arrays every landmark track holds (blendshapes and the transform are optional)."""


@dataclass
class Track:
    """A recorded landmark sequence (arrays indexed by frame; NaN where no face was seen)."""

    source: str
    detector: str
    fps: float | None
    is_stream: bool
    time: np.ndarray
    face_visible: np.ndarray
    image_size: np.ndarray
    landmarks_image: np.ndarray
    landmarks: np.ndarray
    landmarks_filtered: np.ndarray
    head_pose: np.ndarray
    head_euler_deg: np.ndarray
    blendshape_names: tuple[str, ...] = ()
    blendshapes: np.ndarray | None = None
    transform: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time)

    def detection(self, index: int) -> Detection:
        """The detection of frame `index` as the detector reported it."""
        width, height = (int(v) for v in self.image_size[index])
        if not self.face_visible[index]:
            return Detection((width, height), None)
        blendshapes = None
        if self.blendshapes is not None and np.isfinite(self.blendshapes[index]).all():
            blendshapes = dict(zip(self.blendshape_names, (float(v) for v in self.blendshapes[index])))
        transform = None
        if self.transform is not None and np.isfinite(self.transform[index]).all():
            transform = self.transform[index].astype(np.float64)
        return Detection((width, height), self.landmarks_image[index].copy(), blendshapes, transform)


@dataclass
class TrackRecorder:
    """Collects percepts frame by frame and builds a `Track`."""

    source: str
    detector: str
    fps: float | None
    is_stream: bool
    rows: list[Percept] = field(default_factory=list)

    def add(self, percept: Percept) -> None:
        # Images are not kept: a recorded track is landmarks, not video.
        self.rows.append(Percept(percept.index, percept.time, percept.detection, percept.landmarks,
                                 percept.raw_landmarks, percept.pose, percept.head_euler_deg))

    def build(self) -> Track:
        n = len(self.rows)
        nan = np.float32(np.nan)
        landmarks_image = np.full((n, N_LANDMARKS, 3), nan, dtype=np.float32)
        landmarks = np.full((n, N_LANDMARKS, 3), nan, dtype=np.float32)
        filtered = np.full((n, N_LANDMARKS, 3), nan, dtype=np.float32)
        head_pose = np.full((n, 4, 4), np.nan)
        euler = np.full((n, 3), np.nan)
        names: tuple[str, ...] = ()
        for row in self.rows:
            if row.blendshapes:
                names = tuple(row.blendshapes)
                break
        blendshapes = np.full((n, len(names)), nan, dtype=np.float32) if names else None
        has_transform = any(r.detection.transform is not None for r in self.rows)
        transform = np.full((n, 4, 4), np.nan) if has_transform else None
        for i, row in enumerate(self.rows):
            if not row.face_visible:
                continue
            landmarks_image[i] = row.detection.landmarks
            landmarks[i] = row.raw_landmarks
            filtered[i] = row.landmarks
            head_pose[i] = row.pose.matrix()
            euler[i] = row.head_euler_deg
            if blendshapes is not None and row.blendshapes:
                blendshapes[i] = [row.blendshapes.get(name, np.nan) for name in names]
            if transform is not None and row.detection.transform is not None:
                transform[i] = row.detection.transform
        return Track(
            source=self.source,
            detector=self.detector,
            fps=self.fps,
            is_stream=self.is_stream,
            time=np.array([r.time for r in self.rows], dtype=np.float64),
            face_visible=np.array([r.face_visible for r in self.rows], dtype=bool),
            image_size=np.array([r.detection.image_size for r in self.rows], dtype=np.int32).reshape(n, 2),
            landmarks_image=landmarks_image,
            landmarks=landmarks,
            landmarks_filtered=filtered,
            head_pose=head_pose,
            head_euler_deg=euler,
            blendshape_names=names,
            blendshapes=blendshapes,
            transform=transform,
        )


def save_track(track: Track, path: str | Path) -> Path:
    """Write `track` to `path` (.npz) atomically: a temporary file beside it, then a rename."""
    path = Path(path)
    if path.suffix != ".npz":
        raise PerceptionError(f"{path}: a landmark track must be saved as .npz")
    if not path.parent.is_dir():
        raise PerceptionError(f"{path}: folder {path.parent} does not exist")
    arrays = {
        "format": np.array(TRACK_FORMAT),
        "source": np.array(track.source),
        "detector": np.array(track.detector),
        "fps": np.array(np.nan if track.fps is None else track.fps),
        "is_stream": np.array(track.is_stream),
        "time": track.time,
        "face_visible": track.face_visible,
        "image_size": track.image_size,
        "landmarks_image": track.landmarks_image,
        "landmarks": track.landmarks,
        "landmarks_filtered": track.landmarks_filtered,
        "head_pose": track.head_pose,
        "head_euler_deg": track.head_euler_deg,
    }
    if track.blendshapes is not None:
        arrays["blendshape_names"] = np.array(track.blendshape_names)
        arrays["blendshapes"] = track.blendshapes
    if track.transform is not None:
        arrays["transform"] = track.transform
    with atomic_write(path) as handle:
        np.savez_compressed(handle, **arrays)
    return path


def load_track(path: str | Path) -> Track:
    """Read a .npz written by `save_track`; anything else is a SourceError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: landmark track not found")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise SourceError(f"{path}: not a readable .npz file ({exc})") from None
    if "format" not in arrays or int(arrays["format"]) != TRACK_FORMAT:
        raise SourceError(f"{path}: not a facetwin landmark track (format {TRACK_FORMAT})")
    missing = next((key for key in TRACK_KEYS if key not in arrays), None)
    if missing is not None:
        raise SourceError(f"{path}: not a landmark track (no {missing!r} array); a `facetwin retarget` target "
                          f"file belongs in a face's targets/ folder, not in --source")
    fps = float(arrays["fps"])
    return Track(
        source=str(arrays["source"]),
        detector=str(arrays["detector"]),
        fps=None if np.isnan(fps) else fps,
        is_stream=bool(arrays["is_stream"]),
        time=arrays["time"],
        face_visible=arrays["face_visible"],
        image_size=arrays["image_size"],
        landmarks_image=arrays["landmarks_image"],
        landmarks=arrays["landmarks"],
        landmarks_filtered=arrays["landmarks_filtered"],
        head_pose=arrays["head_pose"],
        head_euler_deg=arrays["head_euler_deg"],
        blendshape_names=tuple(str(n) for n in arrays.get("blendshape_names", ())),
        blendshapes=arrays.get("blendshapes"),
        transform=arrays.get("transform"),
    )


def track(source: str | Path, out: str | Path, video: str | Path | None = None,
          landmarker: str | Path | None = None, max_frames: int | None = None, progress: bool = True) -> Track:
    """Perceive every frame of `source` (a path or `webcam:N`), save the track to `out` and,
    if `video` is given, an overlay mp4 of the mesh on the frames. Returns the track."""
    from tqdm import tqdm

    from facetwin.perception.overlay import OverlayWriter

    out = Path(out)
    if out.suffix != ".npz":
        raise PerceptionError(f"{out}: --out must name a .npz file")
    if not out.parent.is_dir():
        raise PerceptionError(f"{out}: folder {out.parent} does not exist")
    with open_source(source) as frames, Perception(PerceptionConfig(landmarker=landmarker),
                                                   video=frames.is_stream) as perception:
        writer = OverlayWriter(video, frames.fps or 2.0) if video is not None else None
        total = len(frames) or None
        if max_frames is not None:
            total = min(total, max_frames) if total else max_frames
        detector_name = "recorded" if isinstance(frames, LandmarkSequenceSource) else perception.detector.name
        recorder = TrackRecorder(frames.name, detector_name, frames.fps, frames.is_stream)
        try:
            with tqdm(total=total, unit="frame", desc="track", disable=not progress) as bar:
                for frame in frames:
                    if max_frames is not None and frame.index >= max_frames:
                        break
                    percept = perception.process(frame)
                    recorder.add(percept)
                    if writer is not None:
                        if frame.image is None:
                            raise PerceptionError(f"{frames.name}: a recorded track has no images for an overlay")
                        writer.write(frame.image, percept.detection)
                    bar.update(1)
                    bar.set_postfix(faces=sum(r.face_visible for r in recorder.rows), refresh=False)
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        if writer is not None:
            writer.close()
    result = recorder.build()
    save_track(result, out)
    return result
