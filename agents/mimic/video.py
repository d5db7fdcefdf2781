"""The side-by-side mimic video: the person with their tracked mesh, the twin copying them, and
the landmark error over time beneath, with a cursor at the current frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.agents.mimic.human_targets import HumanFrame
from facetwin.agents.mimic.loop import MimicTrace
from facetwin.observation import FaceObservation
from facetwin.perception.overlay import draw_mesh, mesh_edges
from facetwin.video import VideoWriter, label

PANEL_HEIGHT = 360
STRIP_HEIGHT = 120
BACKGROUND = (24, 24, 28)


def _fit(image: np.ndarray, height: int) -> np.ndarray:
    import cv2

    width = max(2, int(round(image.shape[1] * height / image.shape[0])) // 2 * 2)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


class MimicVideo:
    """Writes one composed frame per mimic step (call it as the loop's `on_frame`). `twin_image`
    returns the twin's picture for an observation (the observation's own image, or a render)."""

    def __init__(self, path: str | Path, fps: float, total_frames: int | None, twin_image) -> None:
        self.path = Path(path)
        self._writer = VideoWriter(self.path, fps)
        self._total = total_frames
        self._twin_image = twin_image
        self._edges = mesh_edges()

    def __call__(self, item: HumanFrame, observation: FaceObservation, trace: MimicTrace) -> None:
        person = item.percept.image
        if person is None:
            person = np.full((PANEL_HEIGHT, PANEL_HEIGHT * 16 // 9, 3), BACKGROUND, np.uint8)
        person = label(_fit(draw_mesh(person, item.percept.detection, self._edges), PANEL_HEIGHT), "person")
        twin = self._twin_image(observation)
        twin = label(_fit(twin, PANEL_HEIGHT), f"twin ({trace.policy}) {item.target.state}")
        top = np.concatenate([person, twin], axis=1)
        frame = np.concatenate([top, self._strip(top.shape[1], trace)], axis=0)
        pad = (-frame.shape[1]) % 8  # H.264 wants dimensions in whole macro blocks
        if pad:
            frame = np.pad(frame, ((0, 0), (0, pad), (0, 0)))
        self._writer.write(frame)

    def _strip(self, width: int, trace: MimicTrace) -> np.ndarray:
        """The error curve so far, x spanning the whole clip, y from 0 to the largest error seen."""
        import cv2

        strip = np.full((STRIP_HEIGHT, width, 3), BACKGROUND, np.uint8)
        errors = np.asarray(trace.errors, dtype=np.float64)
        total = max(self._total or len(errors), len(errors), 2)
        top = max(1.0, float(np.nanmax(errors)) if np.isfinite(errors).any() else 1.0)
        x = np.arange(len(errors)) * (width - 20) / (total - 1) + 10
        y = STRIP_HEIGHT - 12 - np.nan_to_num(errors) / top * (STRIP_HEIGHT - 36)
        points = np.stack([x, y], axis=1).round().astype(np.int32)
        if len(points) > 1:
            cv2.polylines(strip, [points], False, (90, 200, 255), 1, cv2.LINE_AA)
        current = errors[-1] if len(errors) else float("nan")
        text = f"landmark error {current:.2f} mm (scale 0-{top:.1f} mm)" if np.isfinite(current) else "no landmarks"
        cv2.putText(strip, text, (10, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (230, 230, 230), 1, cv2.LINE_AA)
        return strip

    def close(self, ok: bool = True) -> None:
        """Finish the file (renamed into place), or drop it when the run failed."""
        if ok:
            self._writer.close()
        else:
            self._writer.abort()
