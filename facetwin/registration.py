"""The Gymnasium ids of facetwin, registered when `facetwin` is imported.

Gymnasium 1.x loads no plugins by itself, so `import facetwin` registers them. Entry points are
strings: registering imports none of the rooms until an env is made.
"""

from __future__ import annotations

ENV_IDS = ("facetwin/FaceMimic-v0", "facetwin/FaceMimicPixels-v0")
"""Every registered id; tests and benchmarks parametrize over this list."""

_VARIANTS = {"facetwin/FaceMimic-v0": {}, "facetwin/FaceMimicPixels-v0": {"pixels": True}}


def register_envs() -> None:
    """Register every id in ENV_IDS with Gymnasium (a no-op for ids already registered)."""
    import gymnasium

    for env_id in ENV_IDS:
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            entry_point="facetwin.envs.mimic_env:FaceMimicEnv",
            vector_entry_point="facetwin.envs.vector_env:FaceMimicVectorEnv",
            kwargs=dict(_VARIANTS[env_id]),
        )
