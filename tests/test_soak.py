"""The soak: a looping clip whose time keeps rising, resident memory that sees an allocation,
faults counted (exceptions, watchdog trips), and a one-minute soak on emulated:maestro end to end."""

from __future__ import annotations

import json
import math
import time
from itertools import islice
from types import SimpleNamespace

import imageio.v2 as imageio
import numpy as np
import pytest
from typer.testing import CliRunner

from facetwin.agents.mimic.looping_source import LoopingSource
from facetwin.agents.mimic.soak import MAX_CONSECUTIVE_FAULTS, resident_mb, run_soak
from facetwin.agents.policies.registry import make_policy
from facetwin.app.cli import app
from facetwin.errors import BackendError, ConfigError
from facetwin.faces import sample_clip
from facetwin.perception.sources import open_source
from tests.guards import time_limit

runner = CliRunner()



def test_looping_stills_count_on_across_passes(tmp_path):
    for name in ("a.png", "b.png"):
        imageio.imwrite(tmp_path / name, np.zeros((8, 8, 3), np.uint8))
    source = LoopingSource(tmp_path)
    frames = list(islice(source, 5))
    source.close()
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert [f.time for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert source.passes == 3


def test_looping_video_time_rises_one_frame_period_across_the_seam():
    with open_source(sample_clip()) as clip:
        n, fps = len(clip), clip.fps
    source = LoopingSource(sample_clip())
    frames = list(islice(source, n + 2))
    source.close()
    assert source.passes == 2
    assert frames[n].index == n
    assert frames[n].time == pytest.approx(n / fps)
    np.testing.assert_array_equal(frames[n].image, frames[0].image)  # the second pass starts the clip again


def test_resident_memory_sees_an_allocation():
    before = resident_mb()
    block = np.ones(64 * 2**20, dtype=np.uint8)  # written, so resident
    assert resident_mb() - before >= 60
    del block


class _Stream:
    """A stand-in for HumanTargets: the same target forever."""

    def __init__(self, spec):
        self.source = SimpleNamespace(name="still target")
        target = SimpleNamespace(landmarks=np.zeros((spec.n_landmarks, 3), np.float32), passthrough={})
        self._item = SimpleNamespace(target=target)

    def __iter__(self):
        while True:
            yield self._item


class _Face:
    """A backend that fails from step `fail_from` on, or trips its watchdog at step `trip_at`."""

    def __init__(self, spec, fail_from=None, trip_at=None):
        self.spec, self.fail_from, self.trip_at = spec, fail_from, trip_at
        self.steps, self.watchdog_trips = 0, 0

    def reset(self):
        return None

    def step(self, command):
        self.steps += 1
        if self.fail_from is not None and self.steps >= self.fail_from:
            raise BackendError("the servo bus went away")
        if self.steps == self.trip_at:
            self.watchdog_trips += 1
        time.sleep(0.002)


def test_a_face_that_keeps_failing_ends_the_soak_with_its_errors_counted(spec):
    policy = make_policy("neutral", spec)
    report = run_soak(_Stream(spec), _Face(spec, fail_from=3), policy, seconds=30, progress=False)
    assert report.aborted and not report.interrupted
    assert report.errors == {"BackendError: the servo bus went away": MAX_CONSECUTIVE_FAULTS}
    assert report.faults == {"exceptions": MAX_CONSECUTIVE_FAULTS, "watchdog_trips": 0, "missed_frames": 0}
    assert report.steps == 2


def test_watchdog_trips_are_counted_in_their_minute(spec):
    policy = make_policy("neutral", spec)
    report = run_soak(_Stream(spec), _Face(spec, trip_at=5), policy, seconds=0.6, interval_s=0.3, progress=False)
    assert [m.minute for m in report.minutes] == [1, 2]
    assert [m.watchdog_trips for m in report.minutes] == [1, 0]
    assert report.faults["watchdog_trips"] == 1 and report.faults["exceptions"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--minutes", "0"], "--minutes 0: a soak needs a positive duration"),
    (["--minutes", "1", "--plot", "soak.jpg"], "--plot soak.jpg: the soak's picture is a .png file"),
])
def test_soak_refuses_bad_options_before_opening_the_face(args, message):
    result = runner.invoke(app, ["soak", "--backend", "emulated:maestro", *args])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception) == message


def test_one_minute_soak_on_emulated_maestro(tmp_path):
    out = tmp_path / "soak.json"
    with time_limit(300):
        result = runner.invoke(app, ["soak", "--backend", "emulated:maestro", "--minutes", "1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    summary, minutes = saved["summary"], saved["per_minute"]
    assert summary["faults"]["exceptions"] == 0 and summary["faults"]["watchdog_trips"] == 0
    assert summary["errors"] == {} and not summary["aborted"] and not summary["interrupted"]
    assert len(minutes) == 1 and minutes[0]["steps"] == summary["steps"] > 0
    assert math.isfinite(summary["rss_growth_percent"]) and summary["rss_start_mb"] > 0
    assert math.isfinite(minutes[0]["latency_ms_p99"]) and minutes[0]["latency_ms_p99"] > 0
    assert minutes[0]["latency_ms_p50"] <= minutes[0]["latency_ms_p95"] <= minutes[0]["latency_ms_p99"]
    assert summary["p99_ratio"] == 1.0
    assert (tmp_path / "soak.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
