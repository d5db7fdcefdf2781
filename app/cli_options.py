"""The options several commands take, each defined once so that it reads the same in every
command's help. Options that only look alike (`--out`, `--seed`, `--size`) mean something else in
each command and stay with it."""

from __future__ import annotations

import typer
from rich.markup import escape

from facetwin.app.backends import backend_help

FaceOption = typer.Option(None, "--face", help="bundled face name, face folder or face.yaml (default: mira)")
SourceOption = typer.Option(..., "--source", help="a person: video, image, folder of images, landmarks .npz "
                            "or webcam:N")
LandmarkerOption = typer.Option(None, "--landmarker", help="the person's detector and blendshape reader: a "
                                "MediaPipe face_landmarker.task, or face-mesh (MediaPipe's legacy face mesh detects, "
                                "faster, and the shipped model reads blendshapes); default: $FACETWIN_FACE_LANDMARKER, "
                                "else the shipped face_landmarker.task")
NeutralOption = typer.Option("auto", "--neutral", help="the person's neutral face: auto (estimated from a stream, "
                             "the face's own for stills) or robot (the face's own)")
RetargetOption = typer.Option("auto", "--retarget", help="retarget in landmarks (the person's landmark motion, "
                              "scaled per region), perceptual (what the person's face reads as, through the "
                              "face's perceptual map) or auto (perceptual where the face ships a map)")
BackendOption = typer.Option("sim", "--backend", help=escape(backend_help()))
RealityOption = typer.Option(None, "--reality", help="a stand-in face folder (facetwin reality make) that an "
                             "emulated:<kind> backend's servos drive instead of the twin: a bench face that is not "
                             "the twin")
RobotIdOption = typer.Option(None, "--robot-id", help="the robot's name: its calibration is kept per robot id and "
                             "kind of device, an emulator's apart (default: the face's name; emulated:<kind> without "
                             "it uses a default calibration)")
SkinOption = typer.Option("fast", "--skin", help="the twin's skin: fast (linear, quasi-static) or bullet "
                          "(pybullet soft body)")
MaxFramesOption = typer.Option(None, "--max-frames", min=1, help="stop after this many frames")
NNDataOption = typer.Option(None, "--data", help="babbling dataset folder (facetwin babble --out) for the "
                            "nearest-neighbour policy")
JsonOption = typer.Option(None, "--json", help="also write the figures as JSON")
RayOption = typer.Option(None, "--ray", envvar="FACETWIN_RAY_ADDRESS", help="run the shards on Ray: 'local' starts "
                         "a private instance here, 'auto' or HOST:PORT joins a running cluster (`ray start --head`); "
                         "needs facetwin[ray]")
