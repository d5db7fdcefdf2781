"""face.yaml: the validated description of one face model.

A face model folder (assets/faces/<name>/) holds face.yaml, the skin mesh it names, a README
with provenance and a LICENSE; a variant's face.yaml may extend another face and hold only what
differs (facetwin/face_yaml.py). Loading validates everything a simulation or a servo would
later trip over (types, NaN, vertex indices that do not exist, ranges that are empty) and
reports the first problem on one line naming the file and the field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from facetwin.config_model import ConfigModel, config_error
from facetwin.errors import ConfigError
from facetwin.face_yaml import read_face_yaml
from facetwin.faces import resolve_face
from facetwin.mesh_io import read_obj
from facetwin.spec import N_LANDMARKS, ActuatorSpec, FaceSpec

PLAUSIBLE_MM = 200.0
"""Every position a face names (a vertex, an eye centre, a pivot) lies within this many mm of the
head's origin on each axis: a head is about 200 mm across, so a value beyond is a typo or a unit
mistake (metres for mm, 1e21 for 1), which would otherwise load and fling landmarks off the image."""

MAX_PULL_MM = 50.0
MAX_TURN_DEG = 90.0
MAX_WEIGHT = 5.0
"""The largest pull travel, joint turn and anchor weight a face may name, for the same reason."""

Position = Annotated[float, Field(ge=-PLAUSIBLE_MM, le=PLAUSIBLE_MM)]
Vec3 = tuple[float, float, float]
Point = tuple[Position, Position, Position]


class ServoConfig(ConfigModel):
    """A hobby servo as the twin models it (all delays in milliseconds, speed in unit/s)."""

    latency_ms: float = Field(20.0, ge=0.0, le=500.0)
    tau_ms: float = Field(40.0, gt=0.0, le=2000.0)
    max_speed: float = Field(200.0, gt=0.0)
    deadband: float = Field(0.0, ge=0.0)
    backlash: float = Field(0.0, ge=0.0)


class LinkageConfig(ConfigModel):
    """How the linkage passes the horn on to what it moves: `gain` scales the horn's travel about
    the actuator's neutral and `offset` (in actuator units) shifts it. A built face rarely matches
    its drawing, so a calibrated twin records what was measured here; the default passes the horn on
    unchanged."""

    gain: float = Field(1.0, ge=0.25, le=4.0)
    offset: float = Field(0.0, ge=-MAX_PULL_MM, le=MAX_PULL_MM)


class ActuatorConfig(ConfigModel):
    """One actuator. Pull actuators translate their skin anchors along `direction` by up to
    `range` mm (`weights` scale the travel per anchor); rotation actuators turn their anchors
    (skin), both eyes, or the whole head about `axis` through `pivot` by `range` degrees."""

    name: str = Field(min_length=1)
    kind: Literal["pull", "rotation"]
    range: tuple[float, float]
    neutral: float = 0.0
    anchors: list[int] = Field(default_factory=list)
    weights: list[Annotated[float, Field(ge=-MAX_WEIGHT, le=MAX_WEIGHT)]] | None = None
    direction: Vec3 | None = None
    directions: list[Vec3] | None = None
    axis: Vec3 | None = None
    pivot: Point | None = None
    target: Literal["skin", "eyes", "head"] = "skin"
    mirror: str | None = None
    servo: ServoConfig = ServoConfig()
    linkage: LinkageConfig = LinkageConfig()

    @model_validator(mode="after")
    def _consistent(self) -> ActuatorConfig:
        low, high = self.range
        if not low < high:
            raise ValueError(f"range [{low}, {high}] is empty (need low < high)")
        if not low <= self.neutral <= high:
            raise ValueError(f"neutral {self.neutral} lies outside range [{low}, {high}]")
        limit, unit = (MAX_PULL_MM, "mm") if self.kind == "pull" else (MAX_TURN_DEG, "deg")
        if max(abs(low), abs(high)) > limit:
            raise ValueError(f"range [{low}, {high}] goes beyond the plausible +-{limit:g} {unit}")
        if self.weights is not None and len(self.weights) != len(self.anchors):
            raise ValueError(f"{len(self.weights)} weights for {len(self.anchors)} anchors")
        if self.directions is not None and len(self.directions) != len(self.anchors):
            raise ValueError(f"{len(self.directions)} directions for {len(self.anchors)} anchors")
        if self.kind == "pull":
            if self.direction is None or not self.anchors:
                raise ValueError("a pull actuator needs anchors and a direction")
            if math.hypot(*self.direction) < 1e-9:
                raise ValueError("direction is a zero vector")
        else:
            if self.axis is None or math.hypot(*self.axis) < 1e-9:
                raise ValueError("a rotation actuator needs a non-zero axis")
            if self.target != "eyes" and self.pivot is None:
                raise ValueError("a rotation actuator needs a pivot (only eyes turn about their own centres)")
            if self.target == "skin" and not self.anchors:
                raise ValueError("a skin rotation actuator needs anchors")
        return self


class EyeConfig(ConfigModel):
    center: Point
    radius: float = Field(gt=0.0, le=PLAUSIBLE_MM / 4)
    iris: list[int] = Field(min_length=1)


EXPLICIT_STIFFNESS_LIMIT = 0.5
DAMPED_STIFFNESS_LIMIT = 50.0
MIN_DAMPING_TIME_S = 3e-4
"""pybullet integrates the springs explicitly and their damping implicitly. Measured on the default
face: a stiffness number (see `SkinPhysicsConfig.stiffness_number`) up to 0.5 is stable with any
damping; up to 50 it is stable when damping / (stretch + bending) is at least 0.3 ms; beyond that,
or with less damping, the skin blows up within a control period."""


TISSUE_STIFFNESS_FACTOR = 3.0
"""Tissue adds the springs that hang the skin from it and their bending springs, so a node
feels more springs than on a single sheet; its stiffness number is counted this many times over,
and only the undamped limit applies. Measured on the default rig with 150 g and 0.3 mN s/m
damping, under 40 instant random jumps of every actuator, each held 6 control periods: at 40 mm
bending 2.0 N/m ran, 3.0 and 4.0 blew up (stiffness numbers 0.23, 0.34 and 0.45 before this
factor). With it the loader accepts up to about 1.4 N/m there: a margin below what ran, so some
stable skins are refused rather than an unstable one accepted."""


class SkinPhysicsConfig(ConfigModel):
    """The physics skin: the base mesh as a pybullet mass-spring soft body. Mass in grams (spread
    evenly over the vertices), spring stiffness in N/m and damping in N s/m per spring: `stretch`
    along each mesh edge, `bending` between vertices two edges apart. `substeps` physics steps per
    control period. A vertex farther than `diverged_mm` from its rest position means the
    simulation has diverged. `foundation_mm` > 0 hangs the skin from tissue that deep: a node
    that far under each skin node along the inward normal, pinned to the skull, joined to the skin
    by springs that run nearly along the normal. It holds the skin off the skull and out of
    buckles, so every command has one equilibrium, and leaves it almost free along its surface."""

    mass_g: float = Field(150.0, gt=0.0, le=10000.0)
    stretch: float = Field(0.1, gt=0.0)
    bending: float = Field(0.6, ge=0.0)
    damping: float = Field(3e-4, ge=0.0)
    substeps: int = Field(8, ge=1, le=100)
    diverged_mm: float = Field(200.0, gt=0.0)
    foundation_mm: float = Field(0.0, ge=0.0, le=50.0)

    @property
    def layers(self) -> int:
        """Sets of nodes in the soft body: the skin's, and the tissue's under it if any."""
        return 2 if self.foundation_mm > 0 else 1

    def stiffness_number(self, control_hz: float, n_vertices: int) -> float:
        """dt^2 (stretch + bending) / node mass: how stiff one physics step is for its mass (the
        mass is spread over the nodes of every layer)."""
        dt = 1.0 / (control_hz * self.substeps)
        number = dt * dt * (self.stretch + self.bending) / (self.mass_g * 1e-3 / (n_vertices * self.layers))
        return number * (TISSUE_STIFFNESS_FACTOR if self.layers > 1 else 1.0)

    def stability_problem(self, control_hz: float, n_vertices: int) -> str | None:
        """Why these parameters would make the simulation blow up, or None when they are in the stable range."""
        number = self.stiffness_number(control_hz, n_vertices)
        damping_time = self.damping / (self.stretch + self.bending)
        if number <= EXPLICIT_STIFFNESS_LIMIT:
            return None
        if self.layers > 1:
            return (f"stiffness number {number:.3g} (dt^2 x (stretch + bending) / node mass, "
                    f"x{TISSUE_STIFFNESS_FACTOR:g} for the tissue) is unstable; stay at or below "
                    f"{EXPLICIT_STIFFNESS_LIMIT:g}: add mass or substeps, or soften the springs")
        if number <= DAMPED_STIFFNESS_LIMIT and damping_time >= MIN_DAMPING_TIME_S:
            return None
        return (f"stiffness number {number:.3g} (dt^2 x (stretch + bending) / vertex mass) with damping / "
                f"(stretch + bending) = {damping_time:.2g} s is unstable; stay at or below "
                f"{EXPLICIT_STIFFNESS_LIMIT:g}, or at or below {DAMPED_STIFFNESS_LIMIT:g} with at least "
                f"{MIN_DAMPING_TIME_S:g} s: add mass, substeps or damping, or soften the springs")


class SkinConfig(ConfigModel):
    """The skin: its mesh, the fast skin's model and the physics skin's parameters.

    The fast skin either solves its own quasi-static elastic model (`membrane`, `bending`) or, when
    `fit` names a file, takes its responses from the physics skin's equilibria (`facetwin
    fit-skin` writes that file), so the two skins are two models of one face. A loaded config
    holds `mesh` and `fit` as absolute paths, each resolved against the folder of the face.yaml
    that names it."""

    mesh: Path
    subdivisions: int = Field(1, ge=0, le=2)
    glued: list[int] = Field(min_length=1)
    membrane: float = Field(1.0, gt=0.0)
    bending: float = Field(1.0, ge=0.0)
    fit: Path | None = None
    physics: SkinPhysicsConfig = SkinPhysicsConfig()


RGB = tuple[float, float, float]


class PaintConfig(ConfigModel):
    color: RGB
    vertices: list[int]


class AppearanceConfig(ConfigModel):
    """How the skin looks to the camera. `texture` names an image mapped by the mesh's `vt` lines
    (a painted silicone skin: MediaPipe reads a face far more truly off a face that looks like one);
    without it the skin is painted procedurally with `skin`, `brows` and `lips`. `hair` colours the
    head around the face (sim/head_shell.py). A loaded config holds `texture` as an absolute path."""

    skin: RGB = (0.82, 0.64, 0.54)
    texture: Path | None = None
    hair: RGB = (0.13, 0.09, 0.07)
    brows: PaintConfig | None = None
    lips: PaintConfig | None = None
    sclera: RGB = (0.94, 0.93, 0.90)
    iris: RGB = (0.27, 0.42, 0.30)
    pupil: RGB = (0.03, 0.03, 0.03)
    iris_radius: float = Field(5.8, gt=0.0)
    pupil_radius: float = Field(2.4, gt=0.0)
    mouth: RGB = (0.18, 0.06, 0.06)
    background: RGB = (0.42, 0.45, 0.50)


class FaceConfig(ConfigModel):
    name: str = Field(min_length=1)
    description: str = ""
    control_hz: float = Field(30.0, gt=0.0, le=1000.0)
    skin: SkinConfig
    eyes: dict[Literal["left", "right"], EyeConfig]
    actuators: list[ActuatorConfig] = Field(min_length=1)
    regions: dict[str, list[int]]
    appearance: AppearanceConfig = AppearanceConfig()
    landmark_mirror: list[int] | None = None
    poses: dict[str, dict[str, float]] = Field(default_factory=dict)
    provenance: dict = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans(cls, raw: Any) -> Any:
        """YAML reads `false`/`yes` as booleans and pydantic would take them as 0 and 1; no field
        of a face is a boolean, so one anywhere (but in the free-form provenance) is a mistake."""
        if isinstance(raw, dict):
            where = _boolean_at({k: v for k, v in raw.items() if k != "provenance"})
            if where is not None:
                raise ValueError(f"{where}: a boolean where a number or name belongs (no face field is yes/no)")
        return raw

    @field_validator("eyes")
    @classmethod
    def _both_eyes(cls, eyes: dict) -> dict:
        if set(eyes) != {"left", "right"}:
            raise ValueError("needs exactly a left and a right eye")
        return eyes

    @field_validator("landmark_mirror")
    @classmethod
    def _involution(cls, mirror: list[int] | None) -> list[int] | None:
        if mirror is None:
            return None
        if sorted(mirror) != list(range(N_LANDMARKS)):
            raise ValueError(f"must be a permutation of the {N_LANDMARKS} landmark indices")
        broken = next((i for i, j in enumerate(mirror) if mirror[j] != i), None)
        if broken is not None:
            raise ValueError(f"landmark {broken} mirrors to {mirror[broken]}, which does not mirror back")
        return mirror

    @model_validator(mode="after")
    def _cross_references(self) -> FaceConfig:
        names = [a.name for a in self.actuators]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate actuator names: {', '.join(duplicates)}")
        for actuator in self.actuators:
            if actuator.mirror is not None and actuator.mirror not in names:
                raise ValueError(f"actuator {actuator.name!r} mirrors unknown actuator {actuator.mirror!r}")
        for pose, commands in self.poses.items():
            for name, value in commands.items():
                if name not in names:
                    raise ValueError(f"pose {pose!r} names unknown actuator {name!r}")
                if not -1.0 <= value <= 1.0:
                    raise ValueError(f"pose {pose!r} commands {name} = {value}, outside [-1, 1]")
        physics = self.skin.physics
        if self.control_hz * physics.substeps < 240.0:
            raise ValueError(f"skin.physics.substeps: {physics.substeps} substeps at {self.control_hz:g} Hz is "
                             f"{self.control_hz * physics.substeps:g} Hz; the physics skin needs >= 240 Hz")
        problem = physics.stability_problem(self.control_hz, N_LANDMARKS)
        if problem is not None:
            raise ValueError(f"skin.physics: {problem}")
        return self

    def to_spec(self) -> FaceSpec:
        return FaceSpec(
            name=self.name,
            actuators=tuple(
                ActuatorSpec(
                    name=a.name,
                    kind=a.kind,
                    unit="mm" if a.kind == "pull" else "deg",
                    low=a.range[0],
                    high=a.range[1],
                    neutral=a.neutral,
                    mirror=a.mirror,
                    group="neck" if a.target == "head" else "face",
                )
                for a in self.actuators
            ),
            control_hz=self.control_hz,
            regions={k: tuple(v) for k, v in self.regions.items()},
        )




def _boolean_at(value: Any, where: str = "") -> str | None:
    """The field path of the first boolean in a YAML value, or None."""
    if isinstance(value, bool):
        return where or "(top level)"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        path = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key)
        found = _boolean_at(item, path)
        if found is not None:
            return found
    return None


def load_face_config(path: str | Path) -> FaceConfig:
    """Read and validate a face.yaml and the faces it extends; every failure is a ConfigError naming file and field."""
    path = Path(path)
    raw = read_face_yaml(path)
    try:
        config = FaceConfig.model_validate(raw)
    except ValidationError as exc:
        raise config_error(exc, str(path)) from None

    mesh_path = config.skin.mesh
    if not mesh_path.is_file():
        raise ConfigError(f"{path}: skin.mesh: file {mesh_path} not found")
    vertices, _, uv = read_obj(mesh_path)
    texture = config.appearance.texture
    if texture is not None and not texture.is_file():
        raise ConfigError(f"{path}: appearance.texture: file {texture} not found")
    if texture is not None and uv is None:
        raise ConfigError(f"{path}: appearance.texture needs texture coordinates (`vt` lines) in {mesh_path}")
    if len(vertices) != N_LANDMARKS:
        raise ConfigError(f"{mesh_path}: has {len(vertices)} vertices, expected MediaPipe's {N_LANDMARKS}")
    far = int(abs(vertices).max(axis=1).argmax())
    if abs(vertices[far]).max() > PLAUSIBLE_MM:
        raise ConfigError(f"{mesh_path}: vertex {far + 1} at {vertices[far].tolist()} lies beyond the plausible "
                          f"+-{PLAUSIBLE_MM:g} mm of a head")
    _check_indices(path, "skin.glued", config.skin.glued)
    for i, actuator in enumerate(config.actuators):
        _check_indices(path, f"actuators[{i}].anchors ({actuator.name})", actuator.anchors)
    for side, eye in config.eyes.items():
        _check_indices(path, f"eyes.{side}.iris", eye.iris)
    for paint in ("brows", "lips"):
        if getattr(config.appearance, paint) is not None:
            _check_indices(path, f"appearance.{paint}.vertices", getattr(config.appearance, paint).vertices)
    for region, indices in config.regions.items():
        _check_indices(path, f"regions.{region}", indices)
    return config


def load_spec(face: str | Path | None = None) -> FaceSpec:
    """The spec of a bundled face name, a face folder or a face.yaml (default: mira): what a
    backend, a calibration or a trainer needs of a face without simulating it."""
    return load_face_config(resolve_face(face)).to_spec()


def _check_indices(path: Path, field: str, indices: list[int]) -> None:
    bad = [i for i in indices if not 0 <= i < N_LANDMARKS]
    if bad:
        raise ConfigError(f"{path}: {field}: vertex index {bad[0]} does not exist (the mesh has {N_LANDMARKS})")
