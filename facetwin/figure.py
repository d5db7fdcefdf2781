"""Saving a matplotlib figure or a picture: the one way every plot and image of the project is written.

A figure is written atomically as PNG (a report or a docs page never points at half a picture)
and closed, so a long job drawing many plots does not keep them all in memory.
"""

from __future__ import annotations

from pathlib import Path

from facetwin.atomic import atomic_write


def save_figure(figure, path: str | Path, dpi: float | None = None) -> Path:
    """Write `figure` to `path` as PNG (at `dpi`, else matplotlib's default) and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, format="png", **({} if dpi is None else {"dpi": dpi}))
    plt.close(figure)
    return path


def save_image(rgb, path: str | Path) -> Path:
    """Write an RGB uint8 array to `path` as PNG, atomically."""
    import imageio.v2 as imageio

    path = Path(path)
    with atomic_write(path, "wb") as handle:
        imageio.imwrite(handle, rgb, format="png")
    return path
