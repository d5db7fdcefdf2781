"""`facetwin mimic` as one call: open the face, the person and the policy, run the loop, write the
video and the report. `facetwin demo` is this job on the bundled sample clip."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from facetwin.agents.mimic.agreement import BlendshapeAgreement
from facetwin.agents.mimic.expressive_frames import ExpressiveFrames
from facetwin.agents.mimic.human_targets import HumanTargets
from facetwin.agents.mimic.loop import run_mimic
from facetwin.agents.mimic.report import summarise, write_report
from facetwin.agents.mimic.video import PANEL_HEIGHT, MimicVideo
from facetwin.agents.policies.registry import make_policy
from facetwin.agents.policies.servo_compensation import ServoCompensation
from facetwin.agents.predictor.anticipation import Anticipation
from facetwin.agents.predictor.model import ExpressionPredictor, default_predictor_path
from facetwin.app.backends import SIM, open_backend
from facetwin.errors import ConfigError
from facetwin.observation import FaceObservation
from facetwin.perception.detector import blendshape_landmarker
from facetwin.perception.reachable import reachable_bounds
from facetwin.perception.retarget import RetargetConfig
from facetwin.sim.landmark_portrait import LandmarkPortrait
from facetwin.sim.rig import load_face
from facetwin.sim.sim_face import SimFace


@dataclass
class MimicOptions:
    source: str
    face: str | None = None
    backend: str = SIM
    robot_id: str | None = None
    reality: Path | None = None
    skin: str = "fast"
    policy: str = "inverse"
    model: Path | None = None
    data: Path | None = None
    video: Path | None = None
    json: Path | None = None
    landmarker: str | None = None
    neutral: str = "auto"
    retarget: str = "auto"
    gain: float | None = None
    max_frames: int | None = None
    oracle: bool = True
    compensate: bool = False
    anticipate_ms: float = 0.0
    predictor: Path | None = None
    agreement: bool | None = None
    contact_sheet: Path | None = None
    progress: bool = True

    def retarget_config(self) -> RetargetConfig:
        gain = {} if self.gain is None else {"gain": self.gain}
        return RetargetConfig(space=self.retarget, **gain)

    @property
    def scores_agreement(self) -> bool:
        """Blendshape agreement is on for the twin unless switched off; another backend shows its
        face only through a camera, so there it runs only when asked for."""
        return self.backend == SIM if self.agreement is None else self.agreement


class _TwinImages:
    """The twin's picture for an observation, rendered at most once per frame however many
    consumers (video, blendshape scoring) ask."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self._key: float | None = None
        self._image = None

    def __call__(self, observation: FaceObservation):
        if observation.image is not None:
            return observation.image
        if self._key != observation.time:
            render = getattr(self._backend, "render", None)
            if render is None:
                raise ConfigError(f"backend {type(self._backend).__name__} gives no image of the face; "
                                  "a video or blendshape scoring needs one (give it a camera)")
            self._image, self._key = render(), observation.time
        return self._image


def run_mimic_job(options: MimicOptions) -> dict:
    """Run the whole job and return the report (also written to `options.json` when set)."""
    model = load_face(options.face)
    if options.video is not None and options.video.suffix.lower() != ".mp4":
        raise ConfigError(f"{options.video}: the mimic video must be an .mp4 file")
    if options.contact_sheet is not None and (options.contact_sheet.suffix.lower() != ".png"
                                              or not options.scores_agreement):
        raise ConfigError(f"{options.contact_sheet}: the contact sheet is a .png of what the blendshape reader saw, "
                          "and needs the agreement on")
    backend_options = {"width": PANEL_HEIGHT, "height": PANEL_HEIGHT} if options.backend == SIM else {}
    policy = make_policy(options.policy, model, model=options.model, data=options.data)
    if options.compensate:
        policy = ServoCompensation(policy, model)
    anticipation = None
    if options.anticipate_ms > 0:
        predictor = ExpressionPredictor.load(options.predictor or default_predictor_path(model.spec))
        anticipation = Anticipation(predictor, model.spec, options.anticipate_ms / 1000.0)
    with SimFace(model) as twin:
        bounds = reachable_bounds(twin)  # the retargeting's reach comes from the face's twin model
    with contextlib.ExitStack() as stack:
        if options.reality is not None:
            backend_options["reality"] = options.reality
        backend = stack.enter_context(open_backend(options.backend, model, skin=options.skin,
                                                   robot_id=options.robot_id, **backend_options))
        stream = stack.enter_context(HumanTargets(options.source, model.spec, bounds, landmarker=options.landmarker,
                                                  neutral=options.neutral,
                                                  retarget=options.retarget_config()))
        images = _TwinImages(backend)
        callbacks = []
        video = None
        if options.video is not None:
            total = min(len(stream), options.max_frames or len(stream)) or None
            video = MimicVideo(options.video, stream.source.fps or 30.0, total, images)
            callbacks.append(video)
        agreement = None
        if options.scores_agreement:
            portrait = LandmarkPortrait(model, PANEL_HEIGHT, PANEL_HEIGHT)
            stack.callback(portrait.close)
            agreement = BlendshapeAgreement(blendshape_landmarker(options.landmarker), images, portrait,
                                            video=stream.source.is_stream)
            stack.callback(agreement.close)
            callbacks.append(agreement)
        moments = None
        if options.contact_sheet is not None:
            moments = ExpressiveFrames(agreement, images)
            callbacks.append(moments)

        def on_frame(item, observation, trace) -> None:
            for callback in callbacks:
                callback(item, observation, trace)

        ok = False
        try:
            trace = run_mimic(stream, backend, policy, backend_name=options.backend, on_frame=on_frame,
                              anticipation=anticipation, max_frames=options.max_frames, progress=options.progress)
            ok = True
        finally:
            # The face's outputs off first: the video's encoder and MediaPipe take their time to shut
            # down, and a face left waiting for them would see its watchdog trip.
            backend.close()
            if video is not None:
                video.close(ok=ok)
    oracle = make_policy("oracle", model) if options.oracle else None
    report = summarise(trace, model, oracle, agreement.summary() if agreement else None,
                       settled_by=policy if anticipation is not None else None)
    report["summary"]["anticipate_ms"] = options.anticipate_ms
    report["summary"]["retarget"] = {"space": stream.retargeter.space, "gain": stream.retargeter.config.gain}
    report["summary"]["source"] = str(options.source)
    if options.video is not None:
        report["summary"]["video"] = str(options.video)
    if moments is not None and moments.save(options.contact_sheet) is not None:
        report["summary"]["contact_sheet"] = str(options.contact_sheet)
    if options.json is not None:
        write_report(report, options.json)
    return report
