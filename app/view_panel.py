"""The viewer's controls: one slider per actuator (command units, physical units beside), the
face's poses, neutral, random and stop, who controls the face, the landmark and region toggles,
and the sliders kept as a pose or a `--command` string.

The controls are shared by every open page (a slider moved on one page moves on all), and every
change goes through `ViewControl`, which refuses a page that only watches; its slider is put back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import viser

from facetwin.app.view_control import Mode, ViewControl
from facetwin.app.view_poses import command_string, save_pose
from facetwin.app.view_scene import FaceScene
from facetwin.errors import FacetwinError
from facetwin.observation import FaceObservation
from facetwin.sim.poses import pose_command
from facetwin.sim.rig import FaceModel

SLIDER_STEP = 0.01


class ViewPanel:
    """The GUI on `server` for `model`'s face, writing to `control`; `log` reports what happened
    (every accepted command, refusals), one line each."""

    def __init__(self, server: viser.ViserServer, model: FaceModel, control: ViewControl, scene: FaceScene,
                 log: Callable[[str], None], seed: int = 0):
        self.server, self.model, self.control, self.scene, self.log = server, model, control, scene, log
        self._rng = np.random.default_rng(seed)
        spec = model.spec
        gui = server.gui
        self._status = gui.add_markdown("")
        take = gui.add_button("Take control", hint="move the face from this page; the others watch")
        take.on_click(lambda event: self._take(event.client))
        stop = gui.add_button("Stop", color="red", hint="neutral, then every output disabled")
        stop.on_click(lambda event: self._stop(event.client))
        with gui.add_folder("Poses"):
            neutral = gui.add_button("neutral")
            neutral.on_click(lambda event: self._command(event.client, spec.neutral_command, "neutral"))
            random = gui.add_button("random")
            random.on_click(lambda event: self._command(
                event.client, self._rng.uniform(-1.0, 1.0, spec.n_actuators), "random"))
            for pose in model.config.poses:
                if pose == "neutral":
                    continue
                button = gui.add_button(pose)
                button.on_click(lambda event, pose=pose: self._command(
                    event.client, pose_command(model.config, pose), pose))
        self.sliders: dict[str, viser.GuiInputHandle] = {}
        for group in dict.fromkeys(a.group for a in spec.actuators):
            with gui.add_folder(f"Actuators: {group}"):
                for actuator in (a for a in spec.actuators if a.group == group):
                    slider = gui.add_slider(
                        actuator.name, min=-1.0, max=1.0, step=SLIDER_STEP,
                        initial_value=round(actuator.neutral_command, 2),
                        hint=f"{actuator.kind}: -1 = {actuator.low:g} {actuator.unit}, "
                             f"+1 = {actuator.high:g} {actuator.unit}, rest {actuator.neutral:g} {actuator.unit}")
                    slider.on_update(lambda event, name=actuator.name: self._slide(event, name))
                    self.sliders[actuator.name] = slider
        with gui.add_folder("Show"):
            landmarks = gui.add_checkbox("landmarks", False)
            landmarks.on_update(lambda _: self._toggle(scene.show_landmarks, landmarks.value))
            regions = gui.add_checkbox("regions", False)
            regions.on_update(lambda _: self._toggle(scene.show_regions, regions.value))
        with gui.add_folder("Keep"):
            self._command_text = gui.add_text("--command", "", disabled=True,
                                              hint="the sliders as a facetwin --command string, to copy")
            self._pose_name = gui.add_text("pose name", "")
            save = gui.add_button("Save as pose", hint="written into the face's face.yaml")
            save.on_click(lambda event: self._save(event.client))
        with gui.add_folder("Positions", expand_by_default=False):
            self._positions = gui.add_markdown("")
        self.refresh()

    def _toggle(self, show: Callable[[bool], None], visible: bool) -> None:
        show(visible)
        self.scene.refresh_points()

    def _client(self, client: viser.ClientHandle | None) -> int | None:
        return None if client is None else client.client_id

    def _slide(self, event, name: str) -> None:
        if event.client is None:  # set from here (a pose, a refused move put back), not by a person
            return
        client = event.client.client_id
        value = float(event.target.value)
        self.control.claim(client)
        try:
            self.control.set_actuator(client, name, value)
        except FacetwinError as exc:
            self.log(f"refused: {exc}")
            self.sync_sliders()
            return
        self.log(f"command from client {client}: {name}={value:+.3f}")
        self.refresh()

    def _command(self, client: viser.ClientHandle | None, command, what: str) -> None:
        who = self._client(client)
        if who is not None:
            self.control.claim(who)
        try:
            self.control.command(who, command)
        except FacetwinError as exc:
            self.log(f"refused: {exc}")
            return
        self.log(f"command from client {who}: {what}")
        self.sync_sliders()
        self.refresh()

    def _take(self, client: viser.ClientHandle | None) -> None:
        if client is not None:
            self.control.take(client.client_id)
            self.log(f"client {client.client_id} controls the face")
        self.refresh()

    def _stop(self, client: viser.ClientHandle | None) -> None:
        self.control.stop()
        self.log(f"stop from client {self._client(client)}: neutral, outputs disabled")
        self.sync_sliders()
        self.refresh()

    def _save(self, client: viser.ClientHandle | None) -> None:
        name = self._pose_name.value.strip()
        try:
            save_pose(self.model, name, self.control.target)
        except FacetwinError as exc:
            self.log(f"not saved: {exc}")
            self._pose_name.value = ""
            return
        self.log(f"saved pose {name!r} in {self.model.path}")

    def sync_sliders(self) -> None:
        """Put every slider where the target is."""
        target = self.control.target
        for slider, value in zip(self.sliders.values(), target):
            if abs(float(slider.value) - float(value)) > 0.5 * SLIDER_STEP:
                slider.value = round(float(value), 2)

    def refresh(self, mode: Mode | None = None) -> None:
        """The status line and the `--command` string, after a change."""
        control = self.control
        who = f"client {control.controller}" if control.controller is not None else "nobody (the next page to move)"
        state = "stopped: outputs disabled" if control.stopped else (mode.value if mode else "drive")
        self._status.content = f"**{self.model.spec.name}** · control: {who} · {state} · commands: {control.accepted}"
        self._command_text.value = command_string(self.model.spec, control.target)

    def show_positions(self, observation: FaceObservation) -> None:
        """The target and the reported position of every actuator, in its physical unit."""
        spec = self.model.spec
        target = spec.command_to_position(self.control.target)
        reported = spec.command_to_position(observation.actuator_positions)
        rows = [f"| {a.name} | {t:.1f} | {r:.1f} {a.unit} |" for a, t, r in zip(spec.actuators, target, reported)]
        self._positions.content = "\n".join(["| actuator | target | reported |", "| --- | --- | --- |", *rows])
