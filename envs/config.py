"""The options of the mimic environments, validated once with errors that name the option.

Everything here is a keyword of `gym.make("facetwin/FaceMimic-v0", ...)` (and of `gym.make_vec`);
docs/training.md lists them with their meaning. Domain randomisation is off by default, and
`randomization="default"` turns on the ranges of `DEFAULT_RANDOMIZATION`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from facetwin.config_model import ConfigModel
from facetwin.errors import ConfigError


class Randomization(ConfigModel):
    """Ranges drawn once per episode from the env's own `np_random` (0 turns a term off)."""

    skin_gain: float = Field(0.0, ge=0.0, lt=1.0, description="each skin feature's gain ~ U(1 - x, 1 + x), per env")
    servo_latency_ms: float = Field(0.0, ge=0.0, le=200.0, description="extra latency ~ U(0, x) ms per actuator")
    servo_lag: float = Field(0.0, ge=0.0, lt=1.0, description="each servo's time constant scaled by U(1 - x, 1 + x)")
    landmark_noise_mm: float = Field(0.0, ge=0.0, le=50.0, description="Gaussian noise (sd, mm) on observed landmarks")
    camera_offset_mm: float = Field(0.0, ge=0.0, le=200.0, description="camera moved by U(-x, x) mm on each axis")
    light: float = Field(0.0, ge=0.0, lt=1.0, description="key light intensity ~ U(1 - x, 1 + x), direction jittered")

    @property
    def servo(self) -> bool:
        return self.servo_latency_ms > 0.0 or self.servo_lag > 0.0

    @property
    def view(self) -> bool:
        return self.camera_offset_mm > 0.0 or self.light > 0.0


DEFAULT_RANDOMIZATION = Randomization(skin_gain=0.1, servo_latency_ms=15.0, servo_lag=0.3, landmark_noise_mm=0.1,
                                      camera_offset_mm=10.0, light=0.3)

TargetKind = Literal["reachable", "human", "mix"]


class MimicConfig(ConfigModel):
    """What an episode is: its targets, its length, the reward's action-rate cost, the images."""

    face: str | None = Field(None, description="bundled face name, face folder or face.yaml (default: mira)")
    targets: TargetKind = Field("reachable", description="reachable, human (retargeted target files) or mix")
    target_files: tuple[Path, ...] | None = Field(None, description="target files (default: the face's targets/)")
    human_fraction: float = Field(0.5, ge=0.0, le=1.0, description="share of human episodes when targets=mix")
    episode_steps: int = Field(150, ge=1, le=100_000, description="steps per episode, then truncation")
    hold_steps: tuple[int, int] = Field((6, 30), description="a reachable expression is held this many steps")
    active_fraction: float = Field(0.5, gt=0.0, le=1.0, description="share of actuators a reachable target moves")
    action_rate_cost: float = Field(0.01, ge=0.0, description="weight of the mean squared action change")
    randomization: Randomization = Field(Randomization(), description="domain randomisation ranges")
    image_size: int = Field(84, ge=16, le=1024, description="side of the observed image (pixels variant)")
    render_size: int = Field(256, ge=32, le=2048, description="side of each panel of render()")

    @model_validator(mode="after")
    def _consistent(self) -> MimicConfig:
        low, high = self.hold_steps
        if not 1 <= low <= high:
            raise ValueError(f"hold_steps ({low}, {high}) must satisfy 1 <= min <= max")
        return self


def mimic_config(options: dict) -> MimicConfig:
    """Validate env keyword options; `randomization` may also be "default" or None."""
    options = dict(options)
    randomization = options.get("randomization")
    if randomization is None:
        options.pop("randomization", None)
    elif isinstance(randomization, str):
        if randomization != "default":
            raise ConfigError(f"randomization: {randomization!r} is not a preset; use 'default' or a dict of ranges")
        options["randomization"] = DEFAULT_RANDOMIZATION
    elif isinstance(randomization, Randomization):
        options["randomization"] = randomization
    if isinstance(options.get("target_files"), (str, Path)):
        options["target_files"] = (options["target_files"],)
    return MimicConfig(**options)
