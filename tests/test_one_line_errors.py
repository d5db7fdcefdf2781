"""Input that used to end in a traceback, a silent success or a stop names the culprit in one line, or is
handled as documented (issue 15, items 4 to 6)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from facetwin.app.cli import app
from facetwin.errors import CommandError, ConfigError, FacetwinError, Interrupted
from facetwin.faces import resolve_face

runner = CliRunner()


def _cli_error(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, FacetwinError), result.output
    return str(result.exception)


def test_render_to_a_file_that_is_not_a_png(tmp_path):
    out = tmp_path / "x.txt"
    assert _cli_error("render", "--out", str(out)) == f"--out {out}: render writes a PNG; name a .png file"
    assert not out.exists()


def test_render_to_an_unwritable_path(tmp_path):
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "x.png"
    assert _cli_error("render", "--out", str(out), "--size", "32", "--settle", "0") == (
        f"--out {out}: cannot write the picture (File exists)")


def test_a_retarget_output_given_as_a_person():
    from facetwin.perception.sources import open_source

    targets = resolve_face(None).parent / "targets" / "WolfgangLanger_Pexels.npz"
    with pytest.raises(FacetwinError) as error:
        open_source(targets)
    assert str(error.value) == (f"{targets}: not a landmark track (no 'detector' array); a `facetwin retarget` "
                                f"target file belongs in a face's targets/ folder, not in --source")


def test_an_unknown_neutral_is_refused_before_the_source_is_opened():
    from facetwin.agents.mimic.human_targets import HumanTargets

    with pytest.raises(ConfigError) as error:
        HumanTargets("webcam:99", None, None, neutral="median")
    assert str(error.value) == "--neutral 'median': expected auto or robot (or, from code, a 478x3 array)"


def test_babble_out_naming_a_file(tmp_path):
    out = tmp_path / "notes.txt"
    out.write_text("mine")
    assert _cli_error("babble", "--out", str(out), "--samples", "2") == (
        f"{out}: is a file; a babbling dataset is a folder (choose a new or empty one)")
    assert out.read_text() == "mine"


@pytest.fixture(scope="module")
def twin():
    from facetwin.sim.sim_face import SimFace

    with SimFace(None) as face:
        yield face


def test_a_command_naming_an_unknown_actuator(twin):
    with pytest.raises(CommandError) as error:
        twin.step({"nobody": 1.0})
    assert str(error.value) == (f"unknown actuator 'nobody'; the face 'mira' has "
                                f"{', '.join(twin.spec.actuator_names)}")


def test_a_command_holding_a_non_number(twin):
    with pytest.raises(CommandError) as error:
        twin.step({"jaw_open": "wide"})
    assert str(error.value) == "command for 'jaw_open' has dtype <U4, expected real numbers (integers or floats)"
    assert np.isfinite(twin.step({"jaw_open": 0.5}).landmarks).all()


@pytest.mark.parametrize(("width", "height"), [(0, 64), (64, -1), (64, 5000)])
def test_an_impossible_picture_size(width, height):
    from facetwin.sim.sim_face import SimFace

    with pytest.raises(ConfigError) as error:
        SimFace(None, render=True, width=width, height=height)
    assert str(error.value) == (f"image size {width}x{height}: width and height must be whole numbers of pixels "
                                f"from 1 to 4096")


def test_a_text_file_given_as_a_model(tmp_path):
    from facetwin.agents.selfmodel.models import SelfModel

    path = tmp_path / "fake.pt"
    path.write_text("not torch\n")
    with pytest.raises(ConfigError) as error:
        SelfModel.load(path)
    assert str(error.value) == f"{path}: not a readable model checkpoint (torch cannot load it: UnpicklingError)"


def test_mimic_on_a_source_without_a_face_says_so_and_scores_nothing(tmp_path):
    import imageio.v2 as imageio

    folder = tmp_path / "blank"
    folder.mkdir()
    for i in range(2):
        imageio.imwrite(folder / f"{i}.png", np.full((96, 96, 3), 128, np.uint8))
    report = tmp_path / "mimic.json"
    assert _cli_error("mimic", "--source", str(folder), "--policy", "neutral", "--no-oracle",
                      "--json", str(report)) == (
        f"{folder}: no face in any of its 2 frames, so nothing was scored (the errors are null)")
    saved = json.loads(report.read_text())
    summary = saved["summary"]
    assert (summary["frames"], summary["frames_with_face"]) == (2, 0)
    assert [summary[k] for k in ("policy_error_mm", "policy_static_error_mm", "neutral_error_mm")] == [None] * 3
    assert [row["error_mm"] for row in saved["per_frame"]] == [None, None]


def test_ctrl_c_in_babble_says_how_to_resume(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("facetwin.agents.selfmodel.dataset.record_dataset", interrupted)
    out = tmp_path / "data"
    result = runner.invoke(app, ["babble", "--out", str(out), "--samples", "2"])
    assert isinstance(result.exception, Interrupted)  # which the command line prints as its one line, exit 130
    assert str(result.exception) == (f"the shards finished so far are kept in {out}; run the same command "
                                     f"again to resume")


def test_a_folder_reads_what_opencv_cannot_and_skips_what_nothing_can(tmp_path, capsys):
    import imageio.v2 as imageio

    from facetwin.perception.sources import open_source

    imageio.imwrite(tmp_path / "a.png", np.full((8, 8, 3), 50, np.uint8))
    imageio.imwrite(tmp_path / "b.gif", np.full((8, 8, 3), 200, np.uint8))
    (tmp_path / "b.gif").rename(tmp_path / "b.png")  # a GIF saved as .png, which OpenCV cannot decode
    (tmp_path / "c.png").write_bytes(b"not an image")
    with open_source(tmp_path) as source:
        frames = list(source)
    assert [f.index for f in frames] == [0, 1]
    assert [f.image.shape for f in frames] == [(8, 8, 3), (8, 8, 3)]
    assert abs(int(frames[1].image[0, 0, 0]) - 200) <= 2
    assert capsys.readouterr().err == f"facetwin: warning: {tmp_path / 'c.png'}: cannot decode image; skipped\n"
    with pytest.raises(FacetwinError) as error, open_source(tmp_path / "c.png") as single:
        list(single)
    assert str(error.value) == f"{tmp_path / 'c.png'}: cannot decode image"
