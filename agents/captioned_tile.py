"""One picture with a few lines of text under it: the cell of every contact sheet the project draws."""

from __future__ import annotations

import numpy as np

LINE = 17
BACKGROUND = (24, 24, 28)
TEXT = (230, 230, 230)
GOOD = (110, 220, 120)
BAD = (255, 110, 100)

Caption = list[tuple[str, tuple[int, int, int]]]


def captioned_tile(image: np.ndarray, lines: Caption, size: int, caption_lines: int) -> np.ndarray:
    """RGB tile: the centre square of `image` at `size` pixels, then room for `caption_lines` lines
    of (text, colour) beneath it; a wide video frame and a square render end up the same size."""
    import cv2

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    tile = np.full((size + LINE * caption_lines + 8, size, 3), BACKGROUND, np.uint8)
    tile[:size] = cv2.resize(image[top:top + side, left:left + side], (size, size), interpolation=cv2.INTER_AREA)
    for k, (text, colour) in enumerate(lines):
        cv2.putText(tile, text, (6, size + LINE * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    return tile
