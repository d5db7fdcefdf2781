"""`facetwin babble`, `facetwin train forward|inverse` end to end, and their one-line errors."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from facetwin.agents.selfmodel.dataset import BabbleDataset
from facetwin.agents.selfmodel.models import SelfModel
from facetwin.app.cli import app
from tests.guards import time_limit

runner = CliRunner()


def test_babble_then_train_both_models(tmp_path):
    data, forward, inverse = tmp_path / "data", tmp_path / "forward.pt", tmp_path / "inverse.pt"
    with time_limit(60):
        result = runner.invoke(app, ["babble", "--samples", "120", "--shard-size", "60", "--seed", "4",
                                     "--out", str(data)])
        assert result.exit_code == 0, result.output
        assert "120 samples in 2 shards" in result.stdout
        assert len(BabbleDataset.open(data)) == 120
        tiny = ["--epochs", "3", "--hidden", "16,16", "--batch-size", "32"]
        result = runner.invoke(app, ["train", "forward", "--data", str(data), "--out", str(forward), *tiny])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["train", "inverse", "--data", str(data), "--forward", str(forward),
                                     "--out", str(inverse), *tiny])
        assert result.exit_code == 0, result.output
    assert "command L1" in result.stdout
    model = SelfModel.load(inverse, kind="inverse")
    assert model.hidden == (16, 16) and model.data["samples"] == 120 and len(model.history) == 3
    finished = forward.read_bytes()
    result = runner.invoke(app, ["train", "forward", "--data", str(data), "--out", str(forward), *tiny])
    assert str(result.exception) == (f"{forward}: a finished model is already there; pass --overwrite to train it "
                                     f"again, or choose another --out")
    assert forward.read_bytes() == finished
    result = runner.invoke(app, ["train", "forward", "--data", str(data), "--out", str(forward), "--overwrite",
                                 "--epochs", "2", "--hidden", "16,16", "--batch-size", "32"])
    assert result.exit_code == 0, result.output
    assert len(SelfModel.load(forward, kind="forward").history) == 2


def test_errors_are_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("not a dataset")
    command = [sys.executable, "-m", "facetwin.app.cli", "train", "forward", "--data", str(tmp_path), "--out",
               str(tmp_path / "m.pt")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("facetwin: error:")
    assert "not a babbling dataset" in result.stderr and "Traceback" not in result.stderr
    result = runner.invoke(app, ["train", "inverse", "--data", str(tmp_path), "--forward", "f.pt", "--out", "i.pt",
                                 "--hidden", "wide"])
    assert result.exit_code != 0 and "--hidden" in str(result.exception)
