"""`facetwin view`: the twin (or any backend) in a browser, moved by sliders, at the control rate.

One loop in the main thread owns the face: each control period it asks `ViewControl` what to do,
steps the backend through its own gate (and, on hardware, the safety layer), and moves the scene.
The browser's callbacks, in viser's threads, only change the target. Ctrl-C ends the loop in the
main thread, so the face is closed (outputs disabled) before the command returns.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import viser

from facetwin.app.view_control import HOLD_S, Mode, ViewControl
from facetwin.app.view_face import ViewedFace
from facetwin.app.view_panel import ViewPanel
from facetwin.app.view_scene import FaceScene
from facetwin.backend import FaceBackend
from facetwin.sim.rig import FaceModel

LOOPBACK = ("127.0.0.1", "localhost", "::1")
POSITIONS_EVERY = 6
"""The positions table is redrawn every this many periods: a table at 30 Hz is unreadable."""


def _stderr(line: str) -> None:
    print(f"facetwin view: {line}", file=sys.stderr, flush=True)


class Viewer:
    """A viser server showing `backend` (opened, not yet reset) for `model`."""

    def __init__(self, backend: FaceBackend, model: FaceModel, host: str = "127.0.0.1", port: int = 8080,
                 hold_s: float = HOLD_S, log: Callable[[str], None] = _stderr):
        self.log = log
        self.model = model
        backend.reset()
        self.face = ViewedFace(backend, model)
        self.control = ViewControl(model.spec, hold_s=hold_s)
        self.server = viser.ViserServer(host=host, port=port, verbose=False)
        self.scene = FaceScene(self.server, model)
        self.panel = ViewPanel(self.server, model, self.control, self.scene, log)
        self.server.on_client_connect(self._connect)
        self.server.on_client_disconnect(self._disconnect)
        self.periods = 0
        self._seen_change: float | None = None
        self.latencies_s: list[float] = []
        """Command-to-scene times: from a target change to the first scene update after it."""

    @property
    def url(self) -> str:
        return f"http://{self.server.get_host()}:{self.server.get_port()}"

    def _connect(self, client: viser.ClientHandle) -> None:
        self.scene.place_camera(client)
        if self.control.claim(client.client_id):
            self.log(f"client {client.client_id} connected and controls the face")
        else:
            self.log(f"client {client.client_id} connected and watches")
        self.panel.refresh()

    def _disconnect(self, client: viser.ClientHandle) -> None:
        was = self.control.controller == client.client_id
        self.control.release(client.client_id)
        if was:
            self.log(f"client {client.client_id} left: holding for {self.control.hold_s:g} s, then relaxing")
        self.panel.refresh()

    def step(self) -> Mode:
        """One control period: drive, hold, relax or idle the face, then move the scene."""
        mode, command = self.control.tick()
        changed_at = self.control.changed_at
        if mode is Mode.RELAX:
            self.face.relax()
            self.log("relaxed: neutral, outputs disabled")
            observation = self.face.idle()
            self.panel.refresh(mode)
        elif mode is Mode.STOPPED:
            observation = self.face.idle()
        else:
            observation = self.face.step(command)
        self.scene.show(self.face.display)
        if changed_at is not None and changed_at != self._seen_change:
            self._seen_change = changed_at
            self.latencies_s.append(time.monotonic() - changed_at)
        if self.periods % POSITIONS_EVERY == 0:
            self.panel.show_positions(observation)
        self.periods += 1
        return mode

    def run(self, seconds: float | None = None) -> None:
        """Serve until Ctrl-C (or `seconds`), one `step` per control period."""
        period = self.model.spec.control_period
        deadline = None if seconds is None else time.monotonic() + seconds
        next_tick = time.monotonic()
        while deadline is None or time.monotonic() < deadline:
            self.step()
            next_tick += period
            wait = next_tick - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:  # behind (a slow frame): start counting again rather than rush to catch up
                next_tick = time.monotonic()

    def close(self) -> None:
        """Stop serving, then close the face (a physical face's outputs are disabled)."""
        try:
            self.server.stop()
        finally:
            self.face.close()


def serve(backend: FaceBackend, model: FaceModel, host: str, port: int, seconds: float | None = None) -> None:
    """Open the viewer on `backend`, say where, serve until Ctrl-C, and close everything."""
    if host not in LOOPBACK:
        _stderr(f"warning: serving on {host}: anyone who can reach this machine can move the face")
    viewer = Viewer(backend, model, host=host, port=port)
    try:
        _stderr(f"serving {model.spec.name} at {viewer.url} (Ctrl-C to stop)")
        viewer.run(seconds)
    finally:
        viewer.close()
