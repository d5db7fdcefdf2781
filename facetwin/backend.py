"""The contract every face implements, twin or physical.

A policy written against `FaceBackend` runs unchanged on the twin and on the servo face: it
sees a `FaceSpec`, sends normalised commands and gets `FaceObservation`s one control period
apart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec


class FaceBackend(ABC):
    """A face driven at its control rate.

    `step` applies one command and returns the observation one control period later (the twin
    integrates its dynamics, hardware waits for the next tick). `close` is idempotent.
    """

    @property
    @abstractmethod
    def spec(self) -> FaceSpec: ...

    @abstractmethod
    def reset(self, seed: int | None = None) -> FaceObservation: ...

    @abstractmethod
    def step(self, command: np.ndarray) -> FaceObservation: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> FaceBackend:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
