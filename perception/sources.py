"""Where frames come from: an image, a folder of images, a video file, a webcam, or a landmark
sequence recorded by `facetwin track`.

Every frame carries its time stamp, because the One Euro filter and the hold/relax logic of
retargeting work in seconds, not frames: video frames are stamped index / fps, webcam frames by
the clock, stills one second apart (they have no clock). A recorded sequence replays its
detections, so retargeting can be re-run without running the detector again.
"""

from __future__ import annotations

import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facetwin.perception.detector import Detection
from facetwin.perception.errors import SourceError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


@dataclass
class Frame:
    """One frame: its index in the source, its time in seconds, and either an RGB image (HxWx3
    uint8) or, for recorded sequences, the detection that was stored instead of pixels."""

    index: int
    time: float
    image: np.ndarray | None = None
    detection: Detection | None = None


class FrameSource(ABC):
    """An iterable of `Frame`s. `is_stream` says whether consecutive frames show one continuous
    scene (video, webcam), which lets detectors track instead of detecting afresh."""

    name: str
    is_stream: bool = True
    fps: float | None = None

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]: ...

    def __len__(self) -> int:
        """The number of frames, or 0 when unknown (a webcam)."""
        return 0

    @abstractmethod
    def close(self) -> None:
        """Release the device or file; safe to call twice."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _read_image(path: Path) -> np.ndarray:
    """OpenCV first (fast); Pillow for what OpenCV cannot decode, such as a GIF saved as .png,
    which public face sets hold."""
    import cv2

    if not path.is_file():
        raise SourceError(f"{path}: image not found")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is not None:
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError):
        raise SourceError(f"{path}: cannot decode image") from None


class ImageSource(FrameSource):
    """One image or every image in a folder (sorted by name); each is an unrelated still."""

    is_stream = False

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.is_folder = path.is_dir()
        if self.is_folder:
            self.paths = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self.paths:
                raise SourceError(f"{path}: folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        elif path.is_file():
            self.paths = [path]
        else:
            raise SourceError(f"{path}: no such image or folder")
        self.name = str(path)

    def __len__(self) -> int:
        return len(self.paths)

    def __iter__(self) -> Iterator[Frame]:
        """One image that cannot be decoded is an error; in a folder it is skipped with a warning,
        so one damaged file does not stop a whole face set."""
        for index, path in enumerate(self.paths):
            try:
                image = _read_image(path)
            except SourceError as error:
                if not self.is_folder:
                    raise
                print(f"facetwin: warning: {error}; skipped", file=sys.stderr)
                continue
            yield Frame(index, float(index), image)

    def close(self) -> None:
        """Nothing to release: each image is read and closed as it is yielded."""


class VideoSource(FrameSource):
    """A video file decoded with OpenCV; frame i is stamped i / fps."""

    def __init__(self, path: str | Path) -> None:
        import cv2

        path = Path(path)
        if not path.is_file():
            raise SourceError(f"{path}: video not found")
        self._capture = cv2.VideoCapture(str(path))
        if not self._capture.isOpened():
            raise SourceError(f"{path}: cannot open video (not a video, or a codec OpenCV lacks)")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        if not np.isfinite(fps) or fps <= 0:
            self._capture.release()
            raise SourceError(f"{path}: video reports no frame rate ({fps})")
        self.fps = float(fps)
        self._count = max(int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        self.name = str(path)
        self.path = path

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Frame]:
        import cv2

        index = 0
        while True:
            ok, bgr = self._capture.read()
            if not ok:
                break
            yield Frame(index, index / self.fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            index += 1
        if index == 0:
            raise SourceError(f"{self.path}: video has no decodable frames")

    def close(self) -> None:
        self._capture.release()


class WebcamSource(FrameSource):
    """A camera by index (`webcam:0`), stamped with the monotonic clock since opening."""

    def __init__(self, index: int) -> None:
        import cv2

        previous = cv2.getLogLevel()
        cv2.setLogLevel(0)  # silence OpenCV's own warnings while it probes camera back-ends
        try:
            self._capture = cv2.VideoCapture(index)
            opened = self._capture.isOpened()
        finally:
            cv2.setLogLevel(previous)
        if not opened:
            self._capture.release()
            raise SourceError(f"webcam:{index}: no camera with index {index} could be opened")
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if np.isfinite(fps) and fps > 0 else None
        self.name = f"webcam:{index}"
        self.index = index

    def __iter__(self) -> Iterator[Frame]:
        import cv2

        start = time.monotonic()
        index = 0
        while True:
            ok, bgr = self._capture.read()
            if not ok:
                if index == 0:
                    raise SourceError(f"{self.name}: camera opened but delivers no frames")
                return
            yield Frame(index, time.monotonic() - start, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            index += 1

    def close(self) -> None:
        self._capture.release()


class LandmarkSequenceSource(FrameSource):
    """Replays a .npz written by `facetwin track`: its detections, time stamps and visibility."""

    def __init__(self, path: str | Path) -> None:
        from facetwin.perception.track import load_track

        self.track = load_track(path)
        self.name = str(path)
        self.fps = self.track.fps
        self.is_stream = self.track.is_stream

    def __len__(self) -> int:
        return len(self.track.time)

    def __iter__(self) -> Iterator[Frame]:
        for index in range(len(self)):
            yield Frame(index, float(self.track.time[index]), None, self.track.detection(index))

    def close(self) -> None:
        """Nothing to release: the whole track was loaded into memory."""


def open_source(spec: str | Path) -> FrameSource:
    """Open `spec`: `webcam:N`, a .npz landmark sequence, an image, a folder of images, or a video."""
    text = str(spec)
    if text.startswith("webcam:"):
        index = text.removeprefix("webcam:")
        if not index.isdigit():
            raise SourceError(f"{text}: a webcam is named webcam:N with N a camera index, e.g. webcam:0")
        return WebcamSource(int(index))
    path = Path(text)
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in IMAGE_SUFFIXES:
        return ImageSource(path)
    if suffix == ".npz":
        return LandmarkSequenceSource(path)
    if suffix in VIDEO_SUFFIXES:
        return VideoSource(path)
    raise SourceError(
        f"{path}: unknown kind of source {suffix or '(no suffix)'!r}; expected an image, a folder, a video, "
        "a .npz landmark sequence or webcam:N"
    )
