"""Gymnasium environments on the face: FaceMimic (vector or pixels), the batched vector env."""

from facetwin.envs.config import DEFAULT_RANDOMIZATION, MimicConfig, Randomization
from facetwin.envs.mimic_env import FaceMimicEnv
from facetwin.envs.vector_env import FaceMimicVectorEnv
from facetwin.registration import ENV_IDS

__all__ = ["DEFAULT_RANDOMIZATION", "ENV_IDS", "FaceMimicEnv", "FaceMimicVectorEnv", "MimicConfig", "Randomization"]
