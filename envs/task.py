"""What every mimic env of one configuration shares: the face, its fast skin, its landmark space,
the human targets and the episode planner.

Loading a face refines its mesh and reads its skin modes; a process that makes many envs of the
same face (a synchronous vector env, a test suite) does that once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from facetwin.envs.config import MimicConfig
from facetwin.envs.episodes import EpisodePlanner
from facetwin.envs.landmark_space import LandmarkSpace
from facetwin.envs.targets import HumanBank, default_target_files
from facetwin.face_yaml import face_files
from facetwin.faces import resolve_face
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import FaceModel, load_face


@lru_cache(maxsize=4)
def _face(path: Path, stamp: tuple) -> tuple[FaceModel, FastSkin, LandmarkSpace]:
    model = load_face(path)
    skin = FastSkin(model)
    return model, skin, LandmarkSpace(model, skin)


def face_of(face: str | Path | None) -> tuple[FaceModel, FastSkin, LandmarkSpace]:
    """The face model, its fast skin and landmark space, cached per face.yaml and its content."""
    path = resolve_face(face).resolve()
    files = face_files(path)
    files += [mesh for source in files for mesh in source.parent.glob("*.obj")]
    model_stamp = tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _face(path, model_stamp)


@dataclass
class MimicTask:
    config: MimicConfig
    model: FaceModel
    skin: FastSkin
    space: LandmarkSpace
    planner: EpisodePlanner

    @classmethod
    def build(cls, config: MimicConfig) -> MimicTask:
        model, skin, space = face_of(config.face)
        human = None
        if config.targets != "reachable" or config.target_files is not None:
            files = config.target_files if config.target_files is not None else default_target_files(config.face)
            human = HumanBank(tuple(files), model.spec, space)
        return cls(config, model, skin, space, EpisodePlanner(model, space, config, human))
