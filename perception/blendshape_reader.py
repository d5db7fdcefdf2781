"""MediaPipe's blendshape model read directly from landmarks, without an image.

The FaceLandmarker scores its 52 blendshapes with a small model that sees nothing but 146 of the
478 landmarks, in image pixels (MediaPipe's face_blendshapes_graph.cc). Run on the landmarks the
landmarker found, it reproduces the landmarker's blendshapes to 1e-6 (tests/test_blendshape_reader.py).
Run on a twin's own landmarks it says what the geometry reads as, a thousand times faster than a
render and a detection: what rig design and perceptual retargeting need.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from facetwin.perception.errors import PerceptionError

SUBSET = (
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78, 80,
    81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149, 150, 152, 153,
    154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251,
    263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317, 318,
    321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386,
    387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454, 466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477,
)
"""The landmarks the blendshape model reads (kLandmarksSubsetIdxs)."""

NAMES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
    "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker",
    "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
    "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft",
    "noseSneerRight",
)
"""The model's outputs in order (kBlendshapeNames)."""

MODEL_IN_BUNDLE = "face_blendshapes.tflite"


class BlendshapeReader:
    """The blendshape model of a FaceLandmarker bundle (`.task`), on LiteRT's CPU interpreter."""

    def __init__(self, bundle: str | Path):
        bundle = Path(bundle)
        try:
            with zipfile.ZipFile(bundle) as archive:
                model = archive.read(MODEL_IN_BUNDLE)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise PerceptionError(f"{bundle}: no {MODEL_IN_BUNDLE} in this face landmarker bundle ({exc})") from None
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_content=model, num_threads=1)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def read(self, pixels: np.ndarray) -> np.ndarray:
        """Blendshape scores (..., 52) for landmarks (..., 478, 2) in image pixels (x right, y down;
        any scale: the model normalises it away)."""
        pixels = np.asarray(pixels, dtype=np.float32)
        flat = pixels.reshape(-1, *pixels.shape[-2:])[:, SUBSET]
        out = np.empty((len(flat), len(NAMES)), dtype=np.float32)
        for k, points in enumerate(flat):
            self._interpreter.set_tensor(self._input, points[None])
            self._interpreter.invoke()
            out[k] = self._interpreter.get_tensor(self._output)
        return out.reshape(*pixels.shape[:-2], len(NAMES))

    def read_face(self, landmarks_mm: np.ndarray, distance_mm: float = 400.0) -> np.ndarray:
        """Scores for landmarks in the face frame (mm; x to the face's left, y up, z out of the
        face), seen frontally through a pinhole `distance_mm` in front of the face."""
        landmarks_mm = np.asarray(landmarks_mm, dtype=np.float64)
        scale = distance_mm / (distance_mm - landmarks_mm[..., 2])
        return self.read(np.stack([landmarks_mm[..., 0] * scale, -landmarks_mm[..., 1] * scale], axis=-1))

    @staticmethod
    def as_dict(scores: np.ndarray) -> dict[str, float]:
        return {name: float(value) for name, value in zip(NAMES, scores)}
