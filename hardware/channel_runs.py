"""Consecutive channels, written in one transfer: a Maestro's "set multiple targets", a PCA9685's
auto-incrementing block write."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def contiguous_runs(pairs: Iterable[tuple[int, T]]) -> list[tuple[int, list[T]]]:
    """Group (channel, target) pairs into runs of consecutive channels: (first channel, targets)."""
    runs: list[tuple[int, list[T]]] = []
    for channel, target in sorted(pairs):
        if runs and runs[-1][0] + len(runs[-1][1]) == channel:
            runs[-1][1].append(target)
        else:
            runs.append((channel, [target]))
    return runs
