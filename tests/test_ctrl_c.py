"""Ctrl-C: held where it would break something or be lost, never where a face's outputs are
being switched, one line and exit code 130 from every command; and `facetwin mimic` interrupted
50 times at seeded random moments, which must stop every time within seconds with every servo
output off.

The 50 are checked as someone wiring a face would trust them: the command runs as its own
process on a serial port (`maestro:/dev/pts/N`), Ctrl-C goes to its whole process group as a
terminal sends it, and the outputs are read on the device's side of the line, from a Maestro
emulator in this process, whatever the command says about itself. Half the interrupts come at a
random moment of start-up (loading the clip, MediaPipe and the face), half once the face has
started to move. The neutral policy keeps torch out of the 50 start-ups; the loop and its
shutdown are those of every policy.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest

from facetwin.app import cli
from facetwin.app.ctrl_c import interrupt_safely
from facetwin.deferred_interrupt import deferred_interrupt
from facetwin.errors import Interrupted
from facetwin.faces import sample_clip
from facetwin.hardware.calibration import default_calibration, save_calibration
from facetwin.hardware.maestro.bus import MaestroBus
from facetwin.hardware.maestro.emulator import MaestroEmulator
from facetwin.hardware.maestro.protocol import CHANNELS, FACTORY_DEVICE
from tests.guards import time_limit

RUNS = 50
SEED = 15
STARTUP_DELAY_S = 2.5
"""Interrupts in start-up come this long at most after the command line is up."""
MOVING_DELAY_S = 1.5
"""Interrupts once the face moves come this long at most after its first target reached the device."""
PARALLEL = 2
"""Commands interrupted at a time, one per core of a two-core machine: 50 take about two minutes."""
STOP_WITHIN_S = 5.0
"""Ctrl-C to exit: an import it waits for, the loop's shutdown, the outputs switched off and the
interpreter's exit (MediaPipe's and OpenCV's teardown take half a second of it)."""

PROGRESS = re.compile(r"mimic \(\w+\): +\d+%")
"""The progress bar's redraws, which share stderr with the line that counts."""
SUMMARY = re.compile(r"\d+ frames \(|landmark error: ")
"""The lines of the summary of the frames done, which an interrupted run still prints."""


def _send_ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture
def safe_ctrl_c():
    """The command line's Ctrl-C handler in this process, for one test."""
    previous = signal.getsignal(signal.SIGINT)
    interrupt_safely()
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_in_an_import_comes_once_the_import_is_done(safe_ctrl_c, tmp_path, monkeypatch):
    (tmp_path / "ctrl_c_mid_import.py").write_text(
        "import os, signal, time\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(0.2)\nDONE = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            import_module("ctrl_c_mid_import")
            time.sleep(2)  # the held Ctrl-C comes here, at once
        assert sys.modules["ctrl_c_mid_import"].DONE
        assert time.monotonic() - started < 1
    finally:
        sys.modules.pop("ctrl_c_mid_import", None)


def test_ctrl_c_in_a_del_is_not_lost(safe_ctrl_c):
    class Interrupting:
        def __del__(self):
            _send_ctrl_c()
            time.sleep(0.1)

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        Interrupting()  # Python itself would print "Exception ignored in ... __del__" and go on
        time.sleep(2)
    assert time.monotonic() - started < 1


def test_ctrl_c_is_held_until_the_block_ends():
    done = False
    with pytest.raises(KeyboardInterrupt), deferred_interrupt():
        _send_ctrl_c()
        time.sleep(0.1)
        done = True
    assert done


def test_a_second_ctrl_c_while_the_face_closes_waits_until_every_output_is_off(model):
    from facetwin.hardware.backend_url import open_hardware_face
    from facetwin.hardware.safety import SafetyConfig

    face = open_hardware_face("emulated:dynamixel", model.spec, pacing=False, safety=SafetyConfig(max_step=1.0))
    face.reset()
    face.step(np.zeros(model.spec.n_actuators))
    bus_disable, emulator = face.bus.disable, face.emulator
    tables = emulator.tables

    def interrupted_disable(channels):
        _send_ctrl_c()
        bus_disable(channels)

    face.bus.disable = interrupted_disable
    with time_limit(30), pytest.raises(KeyboardInterrupt):
        face.close()
    assert all(table[64] == 0 for table in tables.values())  # torque off on every servo
    with pytest.raises(RuntimeError, match="not started"):
        _ = emulator.port  # and the emulator, which the face owns, stopped


@pytest.mark.parametrize(("raised", "line"), [
    (KeyboardInterrupt, "facetwin: interrupted"),
    (lambda: Interrupted("the shards so far are kept"), "facetwin: interrupted: the shards so far are kept"),
])
def test_ctrl_c_ends_a_command_with_one_line_and_130(raised, line, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise raised()

    monkeypatch.setattr("facetwin.face_config.load_face_config", interrupted)
    monkeypatch.setattr("facetwin.app.cli.interrupt_safely", lambda: None)  # the test runner's handler stays
    monkeypatch.setattr(sys, "argv", ["facetwin", "-v", "info"])  # -v: fd 2 stays the test runner's
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == line + "\n"


@pytest.fixture(scope="module")
def environment(tmp_path_factory, model) -> dict[str, str]:
    """The command's environment: a saved calibration for the Maestro on the pty, and the reach
    of the face already measured in the shared cache (so no run spends its start-up measuring it)."""
    from facetwin.perception.reachable import reachable_bounds
    from facetwin.sim.sim_face import SimFace

    spec = model.spec
    folder = tmp_path_factory.mktemp("calibration")
    calibration = default_calibration(spec, spec.name, MaestroBus.kind, MaestroBus.unit, MaestroBus.default_center,
                                      MaestroBus.default_half_span)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACETWIN_CALIBRATION_DIR", str(folder))
        save_calibration(calibration.model_copy(update={"emulated": False}))
    with SimFace(model) as twin:
        reachable_bounds(twin)
    return dict(os.environ, FACETWIN_CALIBRATION_DIR=str(folder))


def _devices(n_actuators: int) -> tuple[int, ...]:
    return tuple(range(FACTORY_DEVICE, FACTORY_DEVICE + -(-n_actuators // CHANNELS)))


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def _command_line_up(pid: int) -> bool:
    """The CLI's first acts are to take over Ctrl-C and point the native libraries' stderr (fd 2)
    at /dev/null: from then on facetwin's code runs. Before, Python is still importing it."""
    try:
        return os.readlink(f"/proc/{pid}/fd/2") == os.devnull
    except FileNotFoundError:
        return False


def _outputs_on(device: MaestroEmulator) -> list[int]:
    """Channels still driven once the bytes the command sent before it exited are parsed."""
    deadline = time.monotonic() + 1.0
    while (on := [c for c, driven in device.enabled().items() if driven]) and time.monotonic() < deadline:
        time.sleep(0.01)
    return on


def _interrupt(environment: dict[str, str], n_actuators: int, moving: bool, delay: float) -> dict:
    """Start `facetwin mimic` on a Maestro emulator, Ctrl-C it `delay` seconds after its command
    line is up or (`moving`) after the face's first target, and report what came of it."""
    with MaestroEmulator(devices=_devices(n_actuators), record_targets=True) as device:
        command = [sys.executable, "-m", "facetwin.app.cli", "mimic", "--source", str(sample_clip()),
                   "--backend", f"maestro:{device.port}", "--policy", "neutral", "--no-oracle"]
        process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        try:
            _wait_for(lambda: _command_line_up(process.pid) or process.poll() is not None, 60, "the command line")
            if moving:
                _wait_for(lambda: device.target_log or process.poll() is not None, 60, "the face to move")
            time.sleep(delay)
            assert process.poll() is None, f"mimic ended before Ctrl-C: {process.communicate()}"
            face_moved = bool(device.target_log)
            os.killpg(process.pid, signal.SIGINT)
            sent = time.monotonic()
            try:
                out, err = process.communicate(timeout=STOP_WITHIN_S)
            except subprocess.TimeoutExpired:
                out, err = "", f"still running {STOP_WITHIN_S:g} s after Ctrl-C"
            took = time.monotonic() - sent
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        last = dict(device.target_log)  # the last target each channel received
        return {"delay": delay, "moving": moving, "face_moved": face_moved, "code": process.returncode,
                "took": took, "stdout": out.splitlines(), "on": _outputs_on(device),
                "stderr": [line for line in err.splitlines() if line.strip() and not PROGRESS.match(line)],
                "left_driven": sorted(c for c, target in last.items() if target != 0)}


def _problems(run: dict) -> list[str]:
    lines = run["stderr"]
    problems = [
        f"exit code {run['code']}, not 130" if run["code"] != 130 else "",
        f"exit took {run['took']:.2f} s" if run["took"] > STOP_WITHIN_S else "",
        "" if len(lines) == 1 and lines[0].startswith("facetwin: interrupted") else f"stderr is not one line: {lines}",
        "" if all(SUMMARY.match(line) for line in run["stdout"]) else f"stdout: {run['stdout']}",
        f"outputs still on: {run['on']}" if run["on"] else "",
        f"channels whose last target was not 0 (off): {run['left_driven']}" if run["left_driven"] else "",
    ]
    return [p for p in problems if p]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="watches the command's fd 2 in Linux's /proc")
def test_ctrl_c_at_50_random_moments_stops_mimic_with_its_outputs_off(environment, model):
    rng = random.Random(SEED)
    moments = [(k % 2 == 1, rng.uniform(0.0, MOVING_DELAY_S if k % 2 else STARTUP_DELAY_S)) for k in range(RUNS)]
    with time_limit(900), ThreadPoolExecutor(PARALLEL) as pool:
        runs = list(pool.map(lambda moment: _interrupt(environment, model.spec.n_actuators, *moment), moments))
    failures = [f"run {k}, Ctrl-C {run['delay']:.3f} s after {'the face moved' if run['moving'] else 'start'}: "
                + "; ".join(problems) for k, run in enumerate(runs) if (problems := _problems(run))]
    assert not failures, "\n".join(failures)
    assert sum(not run["face_moved"] for run in runs) >= 5, "too few interrupts came before the face moved"
