"""Policies scored on people: every policy gets the same retargeted targets, and is scored the way
a viewer would see it.

A still is scored at equilibrium (the command held until the servos settle). A clip is scored
twice: at equilibrium frame by frame, and live, driving a fresh twin through the clip at the
control rate so that the servos' lag counts. Scores are the mean landmark error on the movable
regions (mm), over the frames with a face.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from facetwin.agents.metrics import landmark_error
from facetwin.agents.mimic.human_targets import with_head_pose
from facetwin.agents.policies.policy import Policy
from facetwin.backend import FaceBackend
from facetwin.sim.rig import FaceModel
from facetwin.sim.twin_batch import equilibrium_landmarks
from facetwin.target_sequence import TargetSequence


@dataclass
class PolicyScore:
    static_mm: float
    live_mm: float | None
    static_per_frame: np.ndarray
    live_per_frame: np.ndarray | None


def live_errors(policy: Policy, sequence: TargetSequence, backend: FaceBackend,
                commands: np.ndarray | None = None) -> np.ndarray:
    """Drive `backend` through the clip at its control rate; error per frame (NaN without landmarks).
    `commands` replays the policy's answers computed beforehand (a stateless policy's batch)."""
    spec = backend.spec
    policy.reset()
    observation = backend.reset()
    errors = np.full(len(sequence), np.nan)
    for i, target in enumerate(sequence.landmarks):
        answer = commands[i] if commands is not None else policy.act(target, observation)
        command = with_head_pose(spec, answer, sequence.passthrough[i])
        observation = backend.step(command)
        if observation.landmarks is not None:
            errors[i] = landmark_error(observation.landmarks, target, spec)
    return errors


def score_policy(policy: Policy, sequence: TargetSequence, model: FaceModel,
                 backend_factory: Callable[[], FaceBackend] | None = None, stateless: bool = True) -> PolicyScore:
    """Static score for every frame; live score too when a backend factory is given (clips).
    A `stateless` policy's batch answers are replayed live instead of asking it frame by frame."""
    spec = model.spec
    scored = sequence.visible if sequence.visible.any() else np.ones(len(sequence), bool)
    policy.reset()
    commands = policy.act_batch(sequence.landmarks)
    static = np.asarray(landmark_error(equilibrium_landmarks(model, commands), sequence.landmarks, spec),
                        dtype=np.float64).reshape(-1)
    live = None
    if backend_factory is not None:
        with backend_factory() as backend:
            live = live_errors(policy, sequence, backend, commands if stateless else None)
    return PolicyScore(
        static_mm=float(static[scored].mean()),
        live_mm=float(np.nanmean(live[scored])) if live is not None else None,
        static_per_frame=static,
        live_per_frame=live,
    )
