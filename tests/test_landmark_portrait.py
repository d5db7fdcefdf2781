"""The face drawn through given landmarks is the twin's own picture when the landmarks are the twin's."""

from __future__ import annotations

import numpy as np

from facetwin.sim.landmark_portrait import LandmarkPortrait
from facetwin.sim.sim_face import SimFace


def test_the_portrait_of_the_twins_landmarks_is_the_twins_picture(model):
    with SimFace(model, width=128, height=128) as twin:
        portrait = LandmarkPortrait(model, 128, 128)
        try:
            observation = twin.reset()
            assert np.array_equal(portrait.render(observation.landmarks, observation.command), twin.render())
            command = twin.spec.neutral_command.copy()
            command[[twin.spec.index("jaw_open"), twin.spec.index("eye_yaw")]] = 1.0
            for _ in range(30):
                observation = twin.step(command)
            drawn = portrait.render(observation.landmarks, observation.command).astype(float)
            assert np.abs(drawn - twin.render()).mean() < 1.0  # only the skin between landmarks differs a little
            assert np.abs(drawn - portrait.render(observation.landmarks, twin.spec.neutral_command)).max() > 50
        finally:
            portrait.close()
