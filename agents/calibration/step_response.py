"""Each servo's latency and lag, from step responses seen by the camera (or read back from the bus).

One actuator at a time leaves neutral for a step and comes back, through the safety layer like
every command (so the step is a ramp at the slew limit); every frame's landmarks are projected
onto how the calibrated skin moves with that actuator, which turns a frame into one number: how
far the linkage is along its travel. The twin's own servo model (sim/servo.py) then replays the
commands that were really applied for a grid of latencies and time constants, and the pair whose
replay matches the seen travel best is the servo's; a finer grid around it refines both.

Where the bus reports the horn itself (Dynamixel, Feetech), the read-back positions give a second
estimate without the camera; a Maestro reports its output pulse and a PCA9685 nothing, so there
only the camera tells. A servo's top speed shows only when a command outruns it; under the slew
limit it rarely does, so the nominal speed is kept unless the face was stepped faster than it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from tqdm import tqdm

from facetwin.agents.metrics import face_actuators
from facetwin.backend import FaceBackend
from facetwin.errors import BackendError
from facetwin.sim.rig import FaceModel
from facetwin.sim.servo import ServoBank, ServoParams

STEP = 0.8
"""How far a step goes, as a fraction of the way from neutral to the actuator's far end."""
HOLD = 12
"""Control periods each end of a step is held: long enough for the slowest servo to arrive."""
LATENCY_GRID_MS = np.arange(0.0, 100.0, 1000.0 / 30.0 / 8.0)
TAU_GRID_MS = np.geomspace(5.0, 400.0, 40)


class Skin(Protocol):
    """What the identification needs of a skin: landmarks (478, 3) of actuator positions (A,)."""

    def landmarks(self, positions: np.ndarray) -> np.ndarray: ...


@dataclass
class StepResponse:
    """One actuator's step: the commands applied (T, A), the positions read back (T, A) in command
    units, and the landmarks seen (T, 478, 3), NaN where the face was not seen."""

    actuator: int
    applied: np.ndarray
    positions: np.ndarray
    landmarks: np.ndarray


def step_command(model: FaceModel, actuator: int, sign: float = 1.0) -> np.ndarray:
    """The neutral command with `actuator` moved STEP of the way to its far end (the end with the
    longer travel when `sign` is +1, the other when -1)."""
    command = model.spec.neutral_command.astype(np.float32).copy()
    up, down = 1.0 - command[actuator], command[actuator] + 1.0
    toward = 1.0 if (up >= down) == (sign > 0) else -1.0
    command[actuator] += np.float32(toward * STEP * (up if toward > 0 else down))
    return command


def record_step(backend: FaceBackend, model: FaceModel, actuator: int) -> StepResponse:
    """Hold neutral, step `actuator` out and hold, step back and hold: every frame recorded."""
    neutral = model.spec.neutral_command.astype(np.float32)
    schedule = [neutral] * HOLD + [step_command(model, actuator)] * (2 * HOLD) + [neutral] * (2 * HOLD)
    applied, positions, landmarks = [], [], []
    unseen = 0
    for command in schedule:
        observation = backend.step(command)
        applied.append(observation.command)
        positions.append(observation.actuator_positions)
        if observation.landmarks is None:
            unseen += 1
            if unseen > HOLD:
                raise BackendError(f"{model.spec.name}: the camera lost the face for {unseen} frames during the "
                                   f"step of {model.spec.actuators[actuator].name}; check the camera and the light")
            landmarks.append(np.full((model.spec.n_landmarks, 3), np.nan, dtype=np.float32))
        else:
            unseen = 0
            landmarks.append(observation.landmarks)
    return StepResponse(actuator, np.asarray(applied, dtype=np.float64), np.asarray(positions, dtype=np.float64),
                        np.asarray(landmarks, dtype=np.float64))


def record_steps(backend: FaceBackend, model: FaceModel, progress: bool = True) -> list[StepResponse]:
    """A step response of every face actuator (the neck moves the head, not the face frame)."""
    backend.reset()
    actuators = face_actuators(model.spec)
    return [record_step(backend, model, int(i))
            for i in tqdm(actuators, desc="step responses", unit="actuator", disable=not progress)]


def _travel_direction(skin: Skin, model: FaceModel, actuator: int) -> tuple[np.ndarray, np.ndarray]:
    """The landmarks at neutral and how they move per unit of `actuator`'s travel about it."""
    neutral = model.spec.command_to_position(model.spec.neutral_command.astype(np.float64))
    moved = neutral.copy()
    span = model.spec.high[actuator] - model.spec.low[actuator]
    moved[actuator] += 0.05 * span
    base = skin.landmarks(neutral).astype(np.float64)
    return base, (skin.landmarks(moved).astype(np.float64) - base) / (0.05 * span)


def _project(landmarks: np.ndarray, base: np.ndarray, direction: np.ndarray) -> np.ndarray:
    norm = float((direction ** 2).sum())
    return np.einsum("tij,ij->t", landmarks - base, direction) / norm


def _replay(model: FaceModel, actuator: int, applied: np.ndarray, latency: np.ndarray, tau: np.ndarray,
            speed: float) -> np.ndarray:
    """The linkage travel (rows, T) of `actuator` under the applied commands for each
    (latency, tau) row, every other servo parameter nominal."""
    servo = model.config.actuators[actuator].servo
    rows = len(latency)
    params = ServoParams(latency=latency[:, None], tau=tau[:, None], max_speed=np.full((rows, 1), speed),
                         deadband=np.full((rows, 1), servo.deadband), backlash=np.full((rows, 1), servo.backlash))
    positions = model.spec.command_to_position(applied)[:, actuator]
    bank = ServoBank(params, positions[:1], model.spec.control_period, batch=rows,
                     max_latency=float(latency.max()))
    out = np.empty((rows, len(applied)))
    for t, position in enumerate(positions):
        out[:, t] = bank.step(np.full((rows, 1), position))[:, 0]
    return out


def _best(model: FaceModel, response: StepResponse, seen: np.ndarray, latency_ms: np.ndarray,
          tau_ms: np.ndarray, speed: float) -> tuple[float, float, float]:
    lat, tau = (g.ravel() for g in np.meshgrid(latency_ms, tau_ms, indexing="ij"))
    replay = _replay(model, response.actuator, response.applied, lat / 1000.0, tau / 1000.0, speed)
    known = np.isfinite(seen)
    # The seen travel carries the skin's own scale; compare shapes, each replay scaled to fit best.
    replay -= replay[:, :1]
    target = seen[known] - np.nanmean(seen[:HOLD])
    r = replay[:, known]
    scale = (r @ target) / np.maximum((r * r).sum(1), 1e-12)
    misfit = ((r * scale[:, None] - target) ** 2).mean(1)
    best = int(np.argmin(misfit))
    return float(lat[best]), float(tau[best]), float(np.sqrt(misfit[best]))


def identify_servo(model: FaceModel, skin: Skin, response: StepResponse) -> dict:
    """Latency and time constant (ms) of one servo from the camera, and from the bus read-back
    when it moved like a horn rather than jumping with the command."""
    i = response.actuator
    base, direction = _travel_direction(skin, model, i)
    seen = _project(response.landmarks, base, direction)
    speed = model.config.actuators[i].servo.max_speed
    latency, tau, _ = _best(model, response, seen, LATENCY_GRID_MS, TAU_GRID_MS, speed)
    step = LATENCY_GRID_MS[1] - LATENCY_GRID_MS[0]
    fine_latency = np.clip(latency + np.arange(-2, 3) * step, 0.0, None)
    fine_tau = tau * np.geomspace(0.8, 1.25, 21)
    latency, tau, rms = _best(model, response, seen, np.unique(fine_latency), fine_tau, speed)
    found = {"latency_ms": latency, "tau_ms": tau, "max_speed": speed, "camera_rms": rms, "source": "camera"}
    read_back = model.spec.command_to_position(response.positions)[:, i]
    commanded = model.spec.command_to_position(response.applied)[:, i]
    if np.abs(read_back - commanded).max() > 1e-3 * (model.spec.high[i] - model.spec.low[i]):
        bus_latency, bus_tau, _ = _best(model, response, read_back, LATENCY_GRID_MS, TAU_GRID_MS, speed)
        found.update(bus_latency_ms=bus_latency, bus_tau_ms=bus_tau)
    return found
