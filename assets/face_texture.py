"""The default face's skin texture: the three people's neutral faces, averaged in the skin's own
texture space, so the twin looks to a camera like a face and to nobody like anyone.

Each neutral frame the geometry was averaged from is warped, triangle by triangle of MediaPipe's
mesh (tracked on that frame), onto a frontal layout of the skin; each clip's frames are averaged,
the clips are averaged with equal weight, and the result is mirrored and averaged again, like the
geometry. Outside the mesh the colours are bled outwards so sampling at the rim never picks up
black.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIZE = 1024
"""Texture edge in pixels: about 6 texels per millimetre of face."""
MARGIN = 1.04
"""The layout leaves this share of room around the face's extent."""


def uv_layout(shape: np.ndarray) -> np.ndarray:
    """(478, 2) texture coordinates: the frontal projection of the skin, centred on the midline,
    so the layout is its own mirror image (u -> 1 - u) when the mesh is symmetric. Rows downwards."""
    xy = shape[:468, :2]
    low, high = xy.min(0), xy.max(0)
    span = float((high - low).max()) * MARGIN
    centre = 0.5 * (low + high)
    return np.stack([(shape[:, 0] - centre[0]) / span + 0.5, 0.5 - (shape[:, 1] - centre[1]) / span], axis=1)


def _rasterise(uv: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Texels covered by the mesh: their rows, columns, triangle and barycentric coordinates."""
    import cv2

    owner = np.full((SIZE, SIZE), -1, np.int32)
    pixels = uv * SIZE
    for k, tri in enumerate(faces):
        cv2.fillConvexPoly(owner, np.round(pixels[tri] * 16).astype(np.int32), int(k), shift=4)
    rows, cols = np.nonzero(owner >= 0)
    tri = owner[rows, cols]
    point = np.stack([cols + 0.5, rows + 0.5], axis=1)
    a, b, c = (pixels[faces[tri, i]] for i in range(3))
    e1, e2, d = b - a, c - a, point - a
    det = e1[:, 0] * e2[:, 1] - e2[:, 0] * e1[:, 1]
    l1 = (d[:, 0] * e2[:, 1] - e2[:, 0] * d[:, 1]) / det
    l2 = (e1[:, 0] * d[:, 1] - d[:, 0] * e1[:, 1]) / det
    return rows, cols, tri, np.stack([1.0 - l1 - l2, l1, l2], axis=1)


def _clip_average(path: Path, frames: dict[int, np.ndarray], faces: np.ndarray, texels) -> np.ndarray:
    """Mean of the clip's chosen frames, each warped onto the layout by its tracked landmarks
    (`frames`: frame number -> (478, 2) landmarks in image pixels)."""
    import cv2

    rows, cols, tri, bary = texels
    total = np.zeros((SIZE, SIZE, 3))
    capture = cv2.VideoCapture(str(path))
    number = 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        if number in frames:
            source = (bary[:, :, None] * frames[number][faces[tri]]).sum(1).astype(np.float32)
            map_x = np.full((SIZE, SIZE), -1.0, np.float32)
            map_y = np.full((SIZE, SIZE), -1.0, np.float32)
            map_x[rows, cols], map_y[rows, cols] = source[:, 0], source[:, 1]
            total += cv2.remap(bgr, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        number += 1
    capture.release()
    return total / len(frames)


def build_texture(media: Path, chosen: dict[str, dict[int, np.ndarray]], uv: np.ndarray, faces: np.ndarray,
                  out: Path) -> None:
    """Write the texture PNG: `chosen` maps each clip's name to its neutral frames' landmarks."""
    import cv2

    texels = _rasterise(uv, faces)
    mean = np.mean([_clip_average(media / name, frames, faces, texels) for name, frames in chosen.items()], axis=0)
    mean = 0.5 * (mean + mean[:, ::-1])
    covered = np.zeros((SIZE, SIZE), np.uint8)
    covered[texels[0], texels[1]] = 255
    covered &= covered[:, ::-1]
    image = cv2.inpaint(np.clip(mean, 0, 255).astype(np.uint8), 255 - covered, 5, cv2.INPAINT_TELEA)
    if not cv2.imwrite(str(out), image):
        raise OSError(f"{out}: cannot write the skin texture")
