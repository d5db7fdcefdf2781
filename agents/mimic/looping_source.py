"""A clip played again and again, for runs longer than the clip: the soak drives the face for an
hour from a bundled clip of seconds.

Each pass opens the clip afresh (a frame source has no rewind), and frames keep counting and
their times keep rising across passes, so the retargeter's holds and eases, which work in seconds,
see one long clip rather than time running backwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from facetwin.perception.errors import SourceError
from facetwin.perception.sources import Frame, FrameSource, open_source


class LoopingSource(FrameSource):
    """`source` (anything `open_source` takes) without end; `passes` counts the passes begun."""

    def __init__(self, source: str | Path) -> None:
        self._spec = source
        self._current = open_source(source)
        self.name = self._current.name
        self.is_stream = self._current.is_stream
        self.fps = self._current.fps
        self.passes = 0

    def __iter__(self) -> Iterator[Frame]:
        index, offset = 0, 0.0
        period = 1.0 / self.fps if self.fps else 1.0  # stills are stamped a second apart
        while True:
            if self._current is None:
                self._current = open_source(self._spec)
            self.passes += 1
            last = None
            for frame in self._current:
                last = Frame(index, offset + frame.time, frame.image, frame.detection)
                index += 1
                yield last
            self._current.close()
            self._current = None
            if last is None:
                raise SourceError(f"{self._spec}: no frames to loop")
            offset = last.time + period

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
            self._current = None
