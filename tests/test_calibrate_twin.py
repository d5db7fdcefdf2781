"""calibrate-twin end to end on a small stand-in: babbling that resumes after Ctrl-C, the skin and
servos fitted, a face folder that loads like any face, and a twin that predicts the stand-in far
better than the nominal one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facetwin.agents.calibration.calibrate import calibrate_twin
from facetwin.app.calibrate_twin_job import score_against_reality
from facetwin.errors import ConfigError
from facetwin.sim.reality import make_reality
from facetwin.sim.rig import load_face
from facetwin.sim.sim_face import SimFace
from tests.guards import time_limit


class InterruptedFace(SimFace):
    """A face whose operator presses Ctrl-C after `after` control periods."""

    def __init__(self, face, after: int) -> None:
        super().__init__(face)
        self.after = after

    def step(self, command):
        self.after -= 1
        if self.after < 0:
            raise KeyboardInterrupt
        return super().step(command)


def test_calibrate_twin_resumes_and_closes_most_of_the_gap(tmp_path, model):
    stand_in = make_reality("mira", 11, tmp_path / "stand-in").parent
    out = tmp_path / "twin"
    with time_limit(240):  # a hang guard; the work itself takes about 8 s of CPU
        # Interrupted in the second shard of babbling: the first shard survives.
        with pytest.raises(KeyboardInterrupt), InterruptedFace(stand_in, after=2500) as face:
            calibrate_twin(face, model, out, budget_min=2.0, progress=False)
        work = tmp_path / "twin.partial"
        manifest = json.loads((work / "babble" / "manifest.json").read_text())
        assert len(manifest["shards"]) == 1 and not out.exists()
        with SimFace(stand_in) as face:
            report = calibrate_twin(face, model, out, budget_min=2.0, progress=False, backend_name="sim")
        assert not work.exists() and report["babbling_samples"] == 200
        calibrated = load_face(out)
        assert calibrated.spec == model.spec
        with SimFace(out) as twin:
            assert twin.reset().landmarks.shape == (478, 3)
        scored = score_against_reality(model, calibrated, stand_in, report)
    assert scored["ratio"] < 0.35, scored["prediction_error_mm"]
    servos = scored["servos_vs_truth"]
    latency = np.array([s["latency_error_ms"] for s in servos.values()])
    lag = np.array([s["lag_error"] for s in servos.values()])
    assert np.abs(latency).max() < 1000.0 / model.spec.control_hz
    assert np.median(np.abs(lag)) < 0.15
    with pytest.raises(ConfigError, match="already exists"), SimFace(stand_in) as face:
        calibrate_twin(face, model, out, progress=False)
