"""The `facetwin` command line.

Each command imports its room lazily so that `facetwin info` answers without loading torch,
OpenGL or MediaPipe. Every FacetwinError ends as one line on stderr and exit code 2; anything
else that escapes a command ends as one line naming the command and its input, and exit code 1,
because a traceback tells someone wiring a face nothing they can act on (`--debug` shows it).
Ctrl-C ends every command with exit code 130 and one line: what the command left behind when it
says (`Interrupted`), else that it was interrupted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape

from facetwin.app.backends import backend_help
from facetwin.app.cli_options import (
    FaceOption,
    LandmarkerOption,
    MaxFramesOption,
    NeutralOption,
    RobotIdOption,
    SkinOption,
    SourceOption,
)
from facetwin.app.ctrl_c import interrupt_safely
from facetwin.app.quiet_logs import silence_native_stderr
from facetwin.errors import ConfigError, FacetwinError, Interrupted

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A digital twin of an animatronic robot face.")


train_app = typer.Typer(no_args_is_help=True, help="Train policies: the inverse self-model, RL.")
app.add_typer(train_app, name="train")


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="show the traceback of an unexpected error"),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="let MediaPipe and TFLite log to stderr"),
) -> None:
    """A digital twin of an animatronic robot face: simulate, render, mimic, deploy."""
    # `main` reads both flags before the command runs and after it fails; they are declared here
    # for the help and the parser.


@app.command()
def info(face: str | None = FaceOption, as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """The face's spec: actuators, their ranges and neutral commands, control rate."""
    from facetwin.face_config import load_face_config
    from facetwin.faces import resolve_face

    config = load_face_config(resolve_face(face))
    spec = config.to_spec()
    if as_json:
        data = spec.to_dict()
        data["digest"] = spec.digest
        data["poses"] = config.poses
        typer.echo(json.dumps(data, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{spec.name}: {spec.n_actuators} actuators at {spec.control_hz:g} Hz (digest {spec.digest})")
    for column in ("actuator", "kind", "range", "neutral", "neutral cmd", "mirror"):
        table.add_column(column)
    for a in spec.actuators:
        table.add_row(a.name, a.kind, f"[{a.low:g}, {a.high:g}] {a.unit}", f"{a.neutral:g}",
                      f"{a.neutral_command:+.3f}", a.mirror or "")
    # Never narrower than the table: a cut name makes brow_inner_raiser_L and _R look alike.
    console = Console()
    needed = console.measure(table, options=console.options.update_width(10_000)).maximum
    Console(width=max(console.width, needed)).print(table)
    typer.echo(f"poses: {', '.join(config.poses)}")


@app.command()
def track(
    source: str = SourceOption,
    out: str = typer.Option(..., "--out", help="where to write the landmark track (.npz)"),
    video: str | None = typer.Option(None, "--video", help="also write an overlay video of the mesh (.mp4)"),
    landmarker: str | None = LandmarkerOption,
    max_frames: int | None = MaxFramesOption,
) -> None:
    """Track a face: 478 landmarks per frame (image space and face frame), head pose, blendshapes."""
    from facetwin.perception.track import track as run_track

    result = run_track(source, out, video=video, landmarker=landmarker, max_frames=max_frames)
    seen = int(result.face_visible.sum())
    typer.echo(f"{out}: {len(result)} frames, face in {seen}, detector {result.detector}"
               + (f"; overlay {video}" if video else ""))


@app.command()
def retarget(
    source: str = SourceOption,
    out: Path = typer.Option(..., "--out", help="where to write the robot targets (.npz)"),
    face: str | None = FaceOption,
    landmarker: str | None = LandmarkerOption,
    neutral: str = NeutralOption,
) -> None:
    """Retarget a person's expressions onto the face and store them as a target file that the
    environments and the evaluation replay."""
    from facetwin.agents.mimic.human_targets import retarget_source
    from facetwin.sim.sim_face import SimFace

    with SimFace(face) as twin:
        sequence = retarget_source(source, twin, landmarker=landmarker, neutral=neutral)
    sequence.save(out)
    typer.echo(f"wrote {out}: {len(sequence)} frames, {int(sequence.visible.sum())} with a face")


@app.command()
def render(
    out: Path = typer.Option(Path("face.png"), "--out", help="PNG to write"),
    command: str | None = typer.Option(None, "--command", help="N values in [-1, 1], or name=value,..."),
    pose: str | None = typer.Option(None, "--pose", help="a named pose of the face (see `facetwin info`)"),
    face: str | None = FaceOption,
    size: int = typer.Option(256, "--size", min=32, max=2048),
    settle: float = typer.Option(1.0, "--settle", min=0.0, help="seconds the command is held before the picture"),
    skin: str = SkinOption,
) -> None:
    """Render the face holding a command or a named pose."""
    import imageio.v2 as imageio

    from facetwin.sim import SimFace
    from facetwin.sim.poses import parse_command, pose_command

    if command is not None and pose is not None:
        raise typer.BadParameter("give --command or --pose, not both")
    if out.suffix.lower() != ".png":
        raise ConfigError(f"--out {out}: render writes a PNG; name a .png file")
    with SimFace(face, skin=skin, width=size, height=size) as twin:
        config = twin.model.config
        target = (parse_command(config, command) if command is not None
                  else pose_command(config, pose or "neutral"))
        twin.reset()
        for _ in range(max(1, int(settle * twin.spec.control_hz))):
            obs = twin.step(target)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            imageio.imwrite(out, twin.render())
        except OSError as exc:
            raise ConfigError(f"--out {out}: cannot write the picture ({exc.strerror or exc})") from None
    applied = ",".join(f"{v:.2f}" for v in obs.command)
    typer.echo(f"wrote {out} (applied command {applied})")


@app.command()
def showreel(
    out: Path = typer.Option(Path("out/showreel.mp4"), "--out", help="video to write"),
    face: str | None = FaceOption,
    size: int = typer.Option(384, "--size", min=64, max=2048),
) -> None:
    """Run the face through its named poses and write the video."""
    from facetwin.sim.showreel import render_showreel

    path = render_showreel(out, face=face, size=size)
    typer.echo(f"wrote {path}")


@app.command()
def calibrate(
    backend: str = typer.Option(..., "--backend", help=escape(backend_help(hardware_only=True))),
    robot_id: str | None = RobotIdOption,
    face: str | None = FaceOption,
) -> None:
    """Nudge each actuator with the keys, confirm its ends and rest position, save the calibration
    (one file per robot id and kind of device; an emulator's apart from the hardware's)."""
    from functools import partial

    from facetwin.face_config import load_spec
    from facetwin.hardware.backend_url import parse_backend
    from facetwin.hardware.calibration import calibration_path, save_calibration
    from facetwin.hardware.calibration_walkthrough import calibrate_interactively, terminal_keys

    spec = load_spec(face)
    robot_id = robot_id or spec.name
    address = parse_backend(backend)
    path = calibration_path(robot_id, address.kind, address.emulated)  # a bad robot id fails before the walk
    # Prompts go to stderr so stdout carries only the result.
    calibration = calibrate_interactively(backend, spec, robot_id, terminal_keys(), partial(typer.echo, err=True))
    typer.echo(f"saved {save_calibration(calibration, path)}")


# Commands defined in other modules register here, one block each.
from facetwin.app import cli_bench  # noqa: E402

app.command("bench")(cli_bench.bench)

from facetwin.app import cli_scale  # noqa: E402

app.command("bench-scale")(cli_scale.bench_scale)

from facetwin.app import cli_mimic  # noqa: E402

app.command("mimic")(cli_mimic.mimic)
app.command("demo")(cli_mimic.demo)

from facetwin.app import cli_view  # noqa: E402

app.command("view")(cli_view.view)

from facetwin.app import cli_selfmodel  # noqa: E402

app.command("babble")(cli_selfmodel.babble)
train_app.command("forward")(cli_selfmodel.train_forward)
train_app.command("inverse")(cli_selfmodel.train_inverse)
train_app.command("perceptual")(cli_selfmodel.train_perceptual)

from facetwin.app import cli_predictor  # noqa: E402

train_app.command("predictor")(cli_predictor.train_predictor)

from facetwin.app import cli_rl  # noqa: E402

train_app.command("rl")(cli_rl.train_rl)

from facetwin.app import cli_eval  # noqa: E402

app.command("eval")(cli_eval.evaluate)

from facetwin.app import cli_faces  # noqa: E402

app.command("build-face")(cli_faces.build_face)
app.command("fit-skin")(cli_faces.fit_skin)
app.command("consistency")(cli_faces.consistency)

from facetwin.app import cli_soak  # noqa: E402

app.command("soak")(cli_soak.soak)

from facetwin.app.cli_plot import plot_app  # noqa: E402

app.add_typer(plot_app, name="plot")

from facetwin.app import cli_fidelity  # noqa: E402

app.command("fidelity")(cli_fidelity.fidelity)

from facetwin.app import cli_calibrate  # noqa: E402
from facetwin.app.cli_reality import reality_app  # noqa: E402

app.command("calibrate-twin")(cli_calibrate.calibrate_twin)

app.add_typer(reality_app, name="reality")


def _unexpected(exc: Exception, argv: list[str]) -> str:
    """One line for an error no check foresaw: the command, its input and what went wrong."""
    command = next((arg for arg in argv if not arg.startswith("-")), "facetwin")
    given = " ".join(argv) or "(no arguments)"
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no message"
    return (f"facetwin: error: {command} failed on `{given}`: {type(exc).__name__}: {reason} "
            f"(rerun with --debug for the traceback)")


def _stop_interrupted(left_behind: str = "") -> None:
    typer.echo(f"facetwin: interrupted{': ' + left_behind if left_behind else ''}", err=True)
    sys.exit(130)


def main() -> None:
    argv = sys.argv[1:]
    interrupt_safely()
    try:
        if not {"-v", "--verbose"} & set(argv):
            silence_native_stderr()
        app()
    except Interrupted as exc:
        _stop_interrupted(str(exc))
    except KeyboardInterrupt:  # before typer reached the command: while it built the command line
        _stop_interrupted()
    except SystemExit as exc:
        if exc.code == 130:  # typer ends a command that Ctrl-C stopped with 130 and no word
            _stop_interrupted()
        raise
    except FacetwinError as exc:
        typer.echo(f"facetwin: error: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:
        if "--debug" in argv:
            raise
        typer.echo(_unexpected(exc, argv), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
