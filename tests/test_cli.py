"""The command line: spec, pictures, bench figures and clear errors."""

from __future__ import annotations

import json

import imageio.v2 as imageio
import pytest
from typer.testing import CliRunner

from facetwin.app.cli import app

runner = CliRunner()


def test_info_json_lists_the_rig():
    result = runner.invoke(app, ["info", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    facial = [a for a in data["actuators"] if a["group"] == "face"]
    assert len(facial) >= 20
    for actuator in data["actuators"]:
        assert actuator["low"] < actuator["high"]
        assert -1.0 <= actuator["neutral_command"] <= 1.0
    assert data["control_hz"] > 0 and len(data["digest"]) == 16


def test_info_table():
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 0 and "jaw_open" in result.stdout


def test_info_table_keeps_every_name_whole_in_80_columns():
    from facetwin.face_config import load_spec

    result = runner.invoke(app, ["info"], env={"COLUMNS": "80"})
    rows = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert rows == list(load_spec().actuator_names)


def test_render_pose_and_command(tmp_path):
    for args in (["--pose", "smile"], ["--command", "jaw_open=1,eye_yaw=-0.5"], ["--command", ",".join(["0"] * 26)]):
        out = tmp_path / "face.png"
        result = runner.invoke(app, ["render", "--out", str(out), "--size", "128", "--settle", "0.2", *args])
        assert result.exit_code == 0, result.output
        assert imageio.imread(out).shape == (128, 128, 3)


def test_render_bad_command_is_one_clear_error(tmp_path):
    result = runner.invoke(app, ["render", "--out", str(tmp_path / "x.png"), "--command", "jaw_open=wide"])
    assert result.exit_code != 0
    assert "jaw_open" in str(result.exception)
    assert not (tmp_path / "x.png").exists()


def test_bench_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    result = runner.invoke(app, ["bench", "--seconds", "0.2", "--batch", "64", "--json", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text())
    assert figures["fast_skin"]["face_steps"]["per_second"] > 0
    assert figures["render_256"]["per_second"] > 0
    assert figures["sim_face_step"]["latency_ms_p50"] > 0


def test_showreel_video(tmp_path):
    from facetwin.sim.showreel import render_showreel

    out = render_showreel(tmp_path / "demo.mp4", size=96, progress=False)
    reader = imageio.get_reader(out)
    frames = sum(1 for _ in reader)
    assert frames > 100


def test_bench_against_an_unknown_peer_is_one_line():
    result = runner.invoke(app, ["bench", "--against", "bullet"])
    assert result.exit_code != 0 and "--against 'bullet'" in str(result.exception)


def test_the_mujoco_peer_measures_a_chunk_on_request():
    import importlib.util

    if importlib.util.find_spec("mujoco") is None:
        pytest.skip("facetwin[mujoco] is not installed")
    from facetwin.app.mujoco_bench import _Peer

    peer = _Peer()
    try:
        chunk = peer.measure("rollout", 0.05)
    finally:
        peer.close()
    assert chunk["items"] >= 3 * 1024 and chunk["wall"] > 0 and chunk["cpu"] > 0
