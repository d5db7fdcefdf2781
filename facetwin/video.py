"""Writing videos atomically, and labelling frames, for every room that shows pictures."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class VideoWriter:
    """An H.264 mp4 written to a temporary file and renamed into place when closed without error,
    so an interrupted run never leaves a truncated video under the final name."""

    def __init__(self, path: str | Path, fps: float):
        import imageio.v2 as imageio

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.stem}.partial{self.path.suffix}")
        self._writer = imageio.get_writer(self._tmp, fps=fps, codec="libx264", quality=7, macro_block_size=8,
                                          ffmpeg_log_level="error")
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        self._writer.append_data(np.ascontiguousarray(frame))
        self.frames += 1

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, *_) -> None:
        self._writer.close()
        if exc_type is None:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)


def label(frame: np.ndarray, text: str) -> np.ndarray:
    """The frame with `text` in its top-left corner."""
    import cv2

    out = np.ascontiguousarray(frame.copy())
    scale = max(0.4, frame.shape[0] / 512)
    cv2.putText(out, text, (8, int(24 * scale) + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (8, int(24 * scale) + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out
