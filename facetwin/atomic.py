"""Atomic file writes: a reader sees the old file or the whole new one, never half of it.

Datasets, checkpoints, caches, videos and reports are written to a temporary file in the same
folder and renamed into place, so a crash or Ctrl-C in the middle of a long job loses at most the
file in flight. This module is the only place that renames files into place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class AtomicPath:
    """A temporary file beside `target`, named with the target's suffix, for writers that take a
    file name rather than a handle (a video encoder, a plotting library): `commit()` moves it into
    place, `discard()` removes it. As a context manager it yields the temporary path and commits
    on a clean exit, discards otherwise."""

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.",
                                    suffix=f".tmp{self.target.suffix}")
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)  # mkstemp's private 0600 would make shared datasets unreadable
        self.tmp = Path(name)

    def commit(self) -> Path:
        """Flush the written file to disk and rename it to the target."""
        try:
            with self.tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(self.tmp, self.target)
        except BaseException:
            self.discard()
            raise
        return self.target

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, exc_type, *_) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`; on a clean exit it replaces `path`, else it is removed."""
    with AtomicPath(path) as tmp, tmp.open(mode) as handle:
        yield handle
