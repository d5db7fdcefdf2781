"""The fidelity table as one picture: the neutral face and each action at full travel, each with
what the reader saw in it, so a failing action can be judged by eye."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.agents.captioned_tile import BACKGROUND, BAD, GOOD, TEXT, Caption, captioned_tile
from facetwin.agents.fidelity.counterparts import NEUTRAL_BAR, is_gaze
from facetwin.agents.fidelity.measure import FidelityReport
from facetwin.figure import save_image

TILE = 300
CAPTION_LINES = 5
COLUMNS = 5


def _tile(image: np.ndarray, lines: Caption) -> np.ndarray:
    return captioned_tile(image, lines, TILE, CAPTION_LINES)


def _verdict(passed: bool) -> tuple[str, tuple[int, int, int]]:
    return ("PASS", GOOD) if passed else ("FAIL", BAD)


def contact_sheet(report: FidelityReport) -> np.ndarray:
    """RGB image: the neutral face with its strongest expression blendshapes, then every action with
    its counterpart's rise against its bar and the three blendshapes that rose most."""
    name, value = report.neutral_largest
    word, colour = _verdict(value is not None and value <= NEUTRAL_BAR)
    neutral_top = sorted(((k, v) for k, v in (report.neutral or {}).items() if k != "_neutral" and not is_gaze(k)),
                         key=lambda kv: -kv[1])[:3]
    tiles = [_tile(report.neutral_image, [
        (f"{report.face} at rest", TEXT),
        (f"largest {value:.2f} (bar {NEUTRAL_BAR:.2g}) {word}" if value is not None else "no face found", colour),
        *[(f"  {k} {v:.2f}", TEXT) for k, v in neutral_top],
    ])]
    for row in report.rows:
        word, colour = _verdict(row.passed)
        rise = "no face found" if row.rise is None else f"{row.rise:+.2f} (bar {row.bar:.2g}) {word}"
        tiles.append(_tile(row.image, [
            (f"{row.group.name} ({row.counterpart.au})", TEXT),
            (f"{row.counterpart.blendshape} {rise}", colour),
            *[(f"  {k} {v:+.2f}", TEXT) for k, v in row.top()],
        ]))
    blank = np.full_like(tiles[0], BACKGROUND)
    tiles += [blank] * (-len(tiles) % COLUMNS)
    return np.concatenate([np.concatenate(tiles[i:i + COLUMNS], axis=1) for i in range(0, len(tiles), COLUMNS)])


def write_contact_sheet(report: FidelityReport, path: str | Path) -> Path:
    """The contact sheet as a PNG, written atomically."""
    return save_image(contact_sheet(report), path)
