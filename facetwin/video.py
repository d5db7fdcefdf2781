"""Writing videos atomically, and labelling frames, for every room that shows pictures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.atomic import AtomicPath


class VideoWriter:
    """An H.264 mp4 written to a temporary file and renamed into place when closed without error,
    so an interrupted run never leaves a truncated video under the final name.

    The encoder opens on the first frame, whose size (cropped to even sides, which H.264 in
    yuv420p needs) every later frame takes: one row or column more is cropped, anything else (a
    folder of stills of different sizes) is resized. No frame written, no file."""

    def __init__(self, path: str | Path, fps: float):
        self.path = Path(path)
        self.fps = fps
        self.frames = 0
        self._target: AtomicPath | None = None
        self._writer = None
        self._size: tuple[int, int] = (0, 0)

    def write(self, frame: np.ndarray) -> None:
        if self._writer is None:
            import imageio.v2 as imageio

            self._size = (frame.shape[0] // 2 * 2, frame.shape[1] // 2 * 2)
            self._target = AtomicPath(self.path)
            try:
                self._writer = imageio.get_writer(self._target.tmp, fps=self.fps, codec="libx264", quality=7,
                                                  macro_block_size=1, ffmpeg_log_level="error")
            except BaseException:
                self._target.discard()
                raise
        height, width = self._size
        if frame.shape[:2] != self._size:
            if frame.shape[0] - height in (0, 1) and frame.shape[1] - width in (0, 1):
                frame = frame[:height, :width]
            else:
                import cv2

                frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        self._writer.append_data(np.ascontiguousarray(frame))
        self.frames += 1

    def close(self) -> None:
        """Finish the file and rename it into place."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._target.commit()

    def abort(self) -> None:
        """Drop the partial video (after an error)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._target.discard()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def label(frame: np.ndarray, text: str) -> np.ndarray:
    """The frame with `text` in its top-left corner."""
    import cv2

    out = np.ascontiguousarray(frame.copy())
    scale = max(0.4, frame.shape[0] / 512)
    cv2.putText(out, text, (8, int(24 * scale) + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (8, int(24 * scale) + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out
