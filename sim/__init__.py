"""The twin: face models, servo dynamics, skins, the batched dynamics core, the headless camera and
the SimFace backend (a batch of one of that core)."""

from facetwin.sim.rig import FaceModel, load_face
from facetwin.sim.sim_face import SimFace

__all__ = ["FaceModel", "SimFace", "load_face"]
