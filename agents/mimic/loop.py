"""The mimic loop: a person's face in, the robot face copying it out, frame by frame.

    frame ─► perception ─► retarget ─► policy ─► backend.step ─► observation
                                    (pass-through neck)         (landmarks after the servos moved)

The servo dynamics run in real control periods, so what is measured is what a viewer would see:
the live error includes the servos' lag. Beside it the report gives, for the same targets, what
the policy's commands reach once the servos settle (its static error), what the oracle reaches
(the floor: the best this face can physically show) and the neutral face's error.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice

import numpy as np
from tqdm import tqdm

from facetwin.agents.metrics import landmark_error, region_errors
from facetwin.agents.mimic.human_targets import HumanFrame, HumanTargets, passthrough_row, with_head_pose
from facetwin.agents.policies.policy import Policy
from facetwin.agents.policies.servo_compensation import ServoCompensation
from facetwin.backend import FaceBackend
from facetwin.observation import FaceObservation
from facetwin.spec import FaceSpec


@dataclass
class MimicTrace:
    """Everything the loop saw and did, one row per frame (NaN errors where the face gave no landmarks)."""

    spec: FaceSpec
    source: str
    policy: str
    backend: str
    fps_source: float | None
    times: list[float] = field(default_factory=list)
    face_visible: list[bool] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)
    unfiltered: list[np.ndarray | None] = field(default_factory=list)
    landmarks: list[np.ndarray | None] = field(default_factory=list)
    commands: list[np.ndarray] = field(default_factory=list)
    settled: list[np.ndarray] = field(default_factory=list)
    applied: list[np.ndarray] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)
    region_errors: list[dict[str, float]] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    interrupted: bool = False

    def __len__(self) -> int:
        return len(self.times)


def command_for(policy: Policy, spec: FaceSpec, item: HumanFrame, observation: FaceObservation | None,
                aim: np.ndarray | None = None) -> np.ndarray:
    """The policy's command for this frame (for `aim` when given: the target forecast ahead), the
    neck following the person's head."""
    return with_head_pose(spec, policy.act(item.target.landmarks if aim is None else aim, observation),
                          passthrough_row(spec, item.target.passthrough))


def settled_command(policy: Policy, spec: FaceSpec, item: HumanFrame, command: np.ndarray) -> np.ndarray:
    """Where this frame's command settles: the command itself, or for a policy planned through
    the servos, the wrapped policy's answer (an overdriven command is not the face's pose)."""
    if isinstance(policy, ServoCompensation) and policy.intended is not None:
        return with_head_pose(spec, policy.intended, passthrough_row(spec, item.target.passthrough))
    return command


def run_mimic(
    stream: HumanTargets,
    backend: FaceBackend,
    policy: Policy,
    *,
    backend_name: str = "",
    on_frame: Callable[[HumanFrame, FaceObservation, MimicTrace], None] | None = None,
    anticipation: Callable[[HumanFrame], np.ndarray] | None = None,
    max_frames: int | None = None,
    progress: bool = True,
) -> MimicTrace:
    """Drive `backend` with `policy` over every frame of `stream`.

    The first frame is read, and perception started on it (MediaPipe takes a second or more to
    load), before the backend's reset: on hardware the reset arms the watchdog, which would take
    that wait for a silent controller and let the face go. `anticipation` turns each frame into
    the landmarks the policy is asked for (a forecast); the face is scored on the person's.
    Ctrl-C, from the first frame on (the reset included), ends the loop early with the trace so
    far (`interrupted`); the caller's `with` block then closes the backend, which on hardware
    disables the outputs."""
    spec = backend.spec
    trace = MimicTrace(spec, str(getattr(stream.source, "path", "")) or type(stream.source).__name__,
                       policy.name, backend_name or type(backend).__name__, stream.source.fps)
    policy.reset()
    total = len(stream) or None
    if max_frames is not None:
        total = min(total or max_frames, max_frames)
    bar = tqdm(total=total, desc=f"mimic ({policy.name})", unit="frame", disable=not progress)
    frames = islice(_timed(stream), max_frames)
    start = time.perf_counter()
    reset_s = 0.0  # the reset is the face getting ready, not part of the run's wall time
    try:
        first = next(frames, None)
        if first is not None:
            ready = time.perf_counter()
            observation = backend.reset()
            reset_s = time.perf_counter() - ready
            for item, read_s in chain([first], frames):
                t0 = time.perf_counter()
                aim = anticipation(item) if anticipation is not None else None
                command = command_for(policy, spec, item, observation, aim)
                trace.latencies_s.append(read_s + time.perf_counter() - t0)
                observation = backend.step(command)
                _record(trace, item, command, settled_command(policy, spec, item, command), observation)
                if on_frame is not None:
                    on_frame(item, observation, trace)
                bar.update()
    except KeyboardInterrupt:
        trace.interrupted = True
    finally:
        trace.wall_s = time.perf_counter() - start - reset_s
        bar.close()
    return trace


def _timed(stream: Iterable[HumanFrame]) -> Iterator[tuple[HumanFrame, float]]:
    """Each frame with the seconds it took to read and perceive: the first part of its latency."""
    frames = iter(stream)
    while True:
        t0 = time.perf_counter()
        item = next(frames, None)
        if item is None:
            return
        yield item, time.perf_counter() - t0


def _record(trace: MimicTrace, item: HumanFrame, command: np.ndarray, settled: np.ndarray,
            observation: FaceObservation) -> None:
    target = item.target.landmarks
    trace.times.append(item.target.time)
    trace.face_visible.append(item.percept.face_visible)
    trace.states.append(item.target.state)
    trace.targets.append(target)
    trace.unfiltered.append(item.unfiltered)
    trace.landmarks.append(observation.landmarks)
    trace.commands.append(command)
    trace.settled.append(settled)
    trace.applied.append(np.asarray(observation.command, dtype=np.float32))
    if observation.landmarks is None:
        trace.errors.append(float("nan"))
        trace.region_errors.append({})
    else:
        trace.errors.append(float(landmark_error(observation.landmarks, target, trace.spec)))
        trace.region_errors.append(region_errors(observation.landmarks, target, trace.spec))
