"""facetwin: a simulation-first digital twin of an animatronic robot face."""

from facetwin.registration import ENV_IDS, register_envs

register_envs()

__all__ = ["ENV_IDS"]
