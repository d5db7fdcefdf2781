"""The twin: face models, servo dynamics, skins, the headless camera and the SimFace backend."""

from facetwin.sim.rig import FaceModel, load_face
from facetwin.sim.sim_face import SimFace

__all__ = ["FaceModel", "SimFace", "load_face"]
