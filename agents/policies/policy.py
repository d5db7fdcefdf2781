"""The policy interface: what turns a target expression into a command.

Every way of choosing a command (the inverse self-model, nearest-neighbour retrieval, the
oracle, an RL policy, the neutral and random baselines) sits behind this one interface, so the
mimic loop, the evaluation and the benchmarks treat them alike.

A target is 478x3 float32 landmarks in the face frame (millimetres, head pose removed), as the
retargeter produces them. A command is float32 in [-1, 1] per actuator of the face's spec.
Actuators a target cannot express (the neck: head pose is removed from face-frame landmarks)
are left at their neutral by the policy; the mimic loop overrides them with pass-through values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec


class Policy(ABC):
    """`name` is how the CLI and the reports call it ("inverse", "nn", "oracle", "rl", ...)."""

    name: str = "policy"

    def __init__(self, spec: FaceSpec) -> None:
        self.spec = spec

    def reset(self) -> None:  # noqa: B027 - most policies are stateless; those with state override it
        """Forget any state carried between frames (start of a new clip or episode)."""

    @abstractmethod
    def act(self, target: np.ndarray, observation: FaceObservation | None = None) -> np.ndarray:
        """The command (n_actuators,) float32 in [-1, 1] for one target (478, 3). `observation`
        is the face's latest, for policies that close the loop; stateless policies ignore it."""

    def act_batch(self, targets: np.ndarray) -> np.ndarray:
        """Commands (B, n_actuators) for targets (B, 478, 3), each answered as a fresh request.
        Stateless policies override this with one batched call."""
        commands = []
        for target in targets:
            self.reset()
            commands.append(self.act(target))
        return np.stack(commands).astype(np.float32)
