"""The stand-in physical face: a seeded perturbation of the twin written as a face folder, and the
emulated bench driving it instead of the twin."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facetwin.app.backends import open_backend
from facetwin.errors import ConfigError
from facetwin.hardware.safety import SafetyConfig
from facetwin.sim.reality import RANGES, RECORD, make_reality
from facetwin.sim.sim_face import SimFace
from tests.guards import time_limit


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    return make_reality("mira", 7, tmp_path_factory.mktemp("reality") / "mira-7").parent


def test_a_stand_in_is_a_face_folder_whose_draws_stay_in_the_recipes_ranges(stand_in, model, tmp_path):
    record = json.loads((stand_in / RECORD).read_text())
    drawn = record["actuators"]
    assert set(drawn) == {a.name for a in model.spec.actuators}
    for name, values in drawn.items():
        nominal = model.config.actuators[model.spec.index(name)].servo
        assert RANGES["gain"][0] <= values["gain"] <= RANGES["gain"][1]
        assert 0.0 <= values["latency_ms"] <= RANGES["latency_ms"][1]
        assert RANGES["lag"][0] <= values["tau_ms"] / nominal.tau_ms <= RANGES["lag"][1]
        assert all(abs(s) <= RANGES["anchor_mm"] for s in values.get("anchor_shift_mm", ()))
    assert RANGES["stiffness"][0] <= record["skin"]["stiffness"] <= RANGES["stiffness"][1]
    again = make_reality("mira", 7, tmp_path / "again").parent
    assert (again / "face.yaml").read_text().replace("again", "mira-7") == (stand_in / "face.yaml").read_text()
    with pytest.raises(ConfigError, match="already exists"):
        make_reality("mira", 7, stand_in)


def test_the_stand_in_differs_from_the_twin_at_rest_and_under_a_command(stand_in, model):
    command = np.clip(model.spec.neutral_command + 0.4, -1, 1).astype(np.float32)
    with SimFace(stand_in) as real, SimFace(model) as twin:
        real_rest, twin_rest = real.reset().landmarks, twin.reset().landmarks
        for _ in range(30):
            seen, predicted = real.step(command).landmarks, twin.step(command).landmarks
    assert np.linalg.norm(real_rest - twin_rest, axis=1).mean() > 0.1
    # The expression itself differs, not only the face it is made on.
    assert np.linalg.norm((seen - real_rest) - (predicted - twin_rest), axis=1).mean() > 0.2


def test_the_emulated_bench_drives_the_stand_in_by_its_own_servos(stand_in, model):
    """The device's outputs reach the stand-in, which moves as its own SimFace would under the same
    commands (its latency and lag, not the twin's), and the calibration map is the twin's."""
    command = np.clip(model.spec.neutral_command + 0.4, -1, 1).astype(np.float32)
    with time_limit(60), open_backend("emulated:maestro", model, reality=stand_in, camera=False, pacing=False,
                                      safety=SafetyConfig(max_step=1.0, watchdog_timeout=None)) as face, \
            SimFace(stand_in) as alone:
        face.reset()
        alone.reset()
        for _ in range(20):
            seen, expected = face.step(command).landmarks, alone.step(command).landmarks
        assert face.spec == model.spec
    assert np.abs(seen - expected).max() < 0.05


def test_only_an_emulated_backend_takes_a_reality(stand_in):
    with pytest.raises(ConfigError, match="only an emulated"):
        open_backend("sim", reality=stand_in)


def test_reality_make_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from facetwin.app.cli import app

    result = CliRunner().invoke(app, ["reality", "make", "--from", "mira", "--seed", "2", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / RECORD).is_file() and "wrote" in result.output


def test_the_differentiable_skin_passes_commands_through_the_linkages(stand_in):
    """The oracle's skin must put a stand-in's (or a calibrated twin's) face where the twin does."""
    import torch

    from facetwin.sim.fast_skin import FastSkin
    from facetwin.sim.rig import load_face
    from facetwin.sim.torch_skin import TorchFastSkin
    from facetwin.sim.twin_batch import TwinBatch

    face = load_face(stand_in)
    skin = FastSkin(face)
    command = np.clip(face.spec.neutral_command + 0.4, -1, 1)
    twin = TwinBatch(face, skin=skin)
    twin.hold(command[None])
    seen = TorchFastSkin(skin).from_command(torch.as_tensor(command, dtype=torch.float32)).numpy()
    assert np.abs(seen - twin.landmarks()).max() < 1e-4
