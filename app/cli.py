"""The `facetwin` command line.

Each command imports its room lazily so that `facetwin info` answers without loading torch,
OpenGL or MediaPipe. Every FacetwinError ends as one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from facetwin.errors import FacetwinError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="A digital twin of an animatronic robot face.")


train_app = typer.Typer(no_args_is_help=True, help="Train policies: the inverse self-model, RL.")
app.add_typer(train_app, name="train")


@app.callback()
def _root() -> None:
    """A digital twin of an animatronic robot face: simulate, render, mimic, deploy."""


FaceOption = typer.Option(None, "--face", help="bundled face name, face folder or face.yaml (default: mira)")


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
    Console().print(table)
    typer.echo(f"poses: {', '.join(config.poses)}")


@app.command()
def track(
    source: str = typer.Option(..., "--source", help="image, folder of images, video, landmarks .npz or webcam:N"),
    out: str = typer.Option(..., "--out", help="where to write the landmark track (.npz)"),
    video: str | None = typer.Option(None, "--video", help="also write an overlay video of the mesh (.mp4)"),
    landmarker: str | None = typer.Option(
        None, "--landmarker", help="a MediaPipe face_landmarker.task for blendshapes (or $FACETWIN_FACE_LANDMARKER)"
    ),
    max_frames: int | None = typer.Option(None, "--max-frames", min=1, help="stop after this many frames"),
) -> None:
    """Track a face: 478 landmarks per frame (image space and face frame), head pose, blendshapes."""
    from facetwin.perception.track import track as run_track

    result = run_track(source, out, video=video, landmarker=landmarker, max_frames=max_frames)
    seen = int(result.face_visible.sum())
    typer.echo(f"{out}: {len(result)} frames, face in {seen}, detector {result.detector}"
               + (f"; overlay {video}" if video else ""))


@app.command()
def retarget(
    source: str = typer.Option(..., "--source", help="image, folder of images, video, landmarks .npz or webcam:N"),
    out: Path = typer.Option(..., "--out", help="where to write the robot targets (.npz)"),
    face: str | None = FaceOption,
    landmarker: str | None = typer.Option(None, "--landmarker", help="a MediaPipe face_landmarker.task to use"),
    neutral: str = typer.Option("auto", "--neutral", help="the person's neutral: auto or robot"),
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
    skin: str = typer.Option("fast", "--skin", help="fast (linear, quasi-static) or bullet (pybullet soft body)"),
) -> None:
    """Render the face holding a command or a named pose."""
    import imageio.v2 as imageio

    from facetwin.sim import SimFace
    from facetwin.sim.poses import parse_command, pose_command

    if command is not None and pose is not None:
        raise typer.BadParameter("give --command or --pose, not both")
    with SimFace(face, skin=skin, width=size, height=size) as twin:
        config = twin.model.config
        target = (parse_command(config, command) if command is not None
                  else pose_command(config, pose or "neutral"))
        twin.reset()
        for _ in range(max(1, int(settle * twin.spec.control_hz))):
            obs = twin.step(target)
        out.parent.mkdir(parents=True, exist_ok=True)
        imageio.imwrite(out, twin.render())
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
def bench(
    json_path: Path | None = typer.Option(None, "--json", help="also write the figures as JSON"),
    seconds: float = typer.Option(3.0, "--seconds", min=0.1, help="time per measurement"),
    batch: int = typer.Option(1024, "--batch", min=1),
    clip: Path | None = typer.Option(None, "--clip", help="video for the perception figures (default: bundled sample)"),
    face: str | None = FaceOption,
) -> None:
    """Measure the twin (batched face-steps/s, SimFace.step rate, render frames/s), perception
    (frames/s with decoding, the One Euro filter's jitter reduction and lag) and hardware in the
    loop on the twin (steps/s, the landmark error perception adds)."""
    import os
    import platform

    from rich.console import Console
    from rich.table import Table

    from facetwin.sim import bench as sim_bench

    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "fast_skin": sim_bench.bench_fast_skin(batch=batch, seconds=seconds, face=face),
        "sim_face_step": sim_bench.bench_sim_face(seconds=seconds, face=face),
        "render_256": sim_bench.bench_render(size=256, seconds=seconds, face=face),
        "physics_skin": sim_bench.bench_physics_skin(seconds=seconds, face=face),
    }
    from facetwin.faces import sample_clip
    from facetwin.perception.bench import bench_perception

    clip = clip or sample_clip()
    if not clip.is_file():
        raise FacetwinError(f"{clip}: perception benchmark clip not found")
    results["perception"] = bench_perception(clip)
    from facetwin.app import hil_bench

    results["hil"] = {
        "twin_landmarks": hil_bench.bench_hil("maestro", camera=False, seconds=seconds, face=face),
        "camera_perception": hil_bench.bench_hil("maestro", camera=True, seconds=seconds, face=face),
        # Ten settled poses per second of budget: 30 at the default, a quick look at --seconds 0.2.
        "perception_error": hil_bench.perception_error("feetech", n_poses=max(3, round(10 * seconds)), face=face),
    }
    from facetwin.envs import bench as envs_bench

    results["envs"] = envs_bench.bench_envs(num_envs=batch, seconds=seconds, face=face)
    from facetwin.agents import bench as agents_bench

    results["selfmodel"] = agents_bench.bench_inverse(seconds=seconds, batch=batch, face=face)

    table = Table(title="facetwin bench")
    for column in ("measurement", "per second", "p50 ms", "p95 ms"):
        table.add_column(column)
    rows = [
        (f"batched face-steps (batch {batch}, servo + skin)", results["fast_skin"]["face_steps"]),
        (f"batched fast-skin landmarks only (batch {batch})", results["fast_skin"]["skin_only"]),
        ("SimFace.step, single face", results["sim_face_step"]),
        (f"SimFace.step on the pybullet skin ({results['physics_skin']['nodes']} nodes, "
         f"{results['physics_skin']['substeps']} substeps)", results["physics_skin"]),
        (f"render 256x256 ({results['render_256']['gl_renderer']})", results["render_256"]),
        ("hardware in the loop on the twin (emulated:maestro, unpaced)", results["hil"]["twin_landmarks"]),
        ("  the same with camera + perception", results["hil"]["camera_perception"]),
        (f"FaceMimic batched env, {batch} envs (env-steps)", results["envs"]["vector"]),
        ("  the same, mixed reachable and human targets", results["envs"]["vector_mix"]),
        ("FaceMimic, one gym.make env (steps)", results["envs"]["single"]),
        ("inverse self-model, single requests (policy.act)", results["selfmodel"]["single"]),
        (f"inverse self-model, batch {batch} (policy.act_batch, targets)", results["selfmodel"]["batch"]),
    ]
    for name, r in rows:
        table.add_row(name, f"{r['per_second']:,.0f}", f"{r['latency_ms_p50']:.3f}", f"{r['latency_ms_p95']:.3f}")
    p = results["perception"]
    table.add_row(f"perception, {p['clip']} with decoding ({p['detector']})", f"{p['fps']:,.0f}",
                  f"{p['latency_ms_p50']:.3f}", f"{p['latency_ms_p95']:.3f}")
    Console().print(table)
    b = results["physics_skin"]
    typer.echo(f"pybullet skin: {b['per_cpu_second']:,.0f} steps/s per CPU-second ({b['physics_hz']:g} Hz physics; "
               f"goal 300 steps/s)")
    if "jitter_raw_mm" in p:
        typer.echo(f"One Euro filter: jitter {p['jitter_raw_mm']:.3f} -> {p['jitter_filtered_mm']:.3f} mm "
                   f"({100 * p['jitter_reduction']:.0f}% less), "
                   f"lag {p['lag_frames']:.2f} frames ({p['lag_ms']:.0f} ms)")
    e = results["hil"]["perception_error"]
    typer.echo(f"perception on the twin's camera: {e['neutral_error_mm']:.2f} mm at neutral, "
               f"{e['expressions']['error_mm']:.2f} mm on expressions (motion {e['expressions']['true_motion_mm']:.2f} "
               f"mm, its error {e['expressions']['motion_error_mm']:.2f} mm)")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results, indent=2))
        typer.echo(f"wrote {json_path}")


@app.command()
def calibrate(
    backend: str = typer.Option(..., "--backend", help="e.g. maestro:/dev/ttyACM0, pca9685:1:0x40, emulated:maestro"),
    robot_id: str | None = typer.Option(None, "--robot-id", help="name of this robot (default: <face>-<kind>)"),
    face: str | None = FaceOption,
) -> None:
    """Nudge each actuator with the keys, confirm its ends and rest position, save the calibration."""
    from functools import partial

    from facetwin.face_config import load_face_config
    from facetwin.faces import resolve_face
    from facetwin.hardware.backend_url import parse_backend
    from facetwin.hardware.calibration import save_calibration
    from facetwin.hardware.calibration_walkthrough import calibrate_interactively, terminal_keys

    spec = load_face_config(resolve_face(face)).to_spec()
    robot_id = robot_id or f"{spec.name}-{parse_backend(backend).kind}"
    # Prompts go to stderr so stdout carries only the result.
    calibration = calibrate_interactively(backend, spec, robot_id, terminal_keys(), partial(typer.echo, err=True))
    typer.echo(f"saved {save_calibration(calibration)}")


@app.command("fit-skin")
def fit_skin(
    face: str | None = FaceOption,
    commands: int = typer.Option(1200, "--commands", min=1, help="random commands held on the physics skin"),
    seed: int = typer.Option(1, "--seed", help="seed of the random commands"),
    workers: int = typer.Option(2, "--workers", min=1, help="processes, one physics skin each"),
    out: Path | None = typer.Option(None, "--out", help="output .npz (default: the face's skin.fit file)"),
) -> None:
    """Fit the fast skin to the physics skin's equilibria and write the face's skin.fit file."""
    from facetwin.sim.rig import load_face
    from facetwin.sim.skin_fit import run_fit

    model = load_face(face)
    fit, path = run_fit(model, commands, seed, workers, out=out)
    typer.echo(f"wrote {path}: {fit.n_commands} equilibria, held-out RMS {fit.heldout_rms_mm:.3f} mm, "
               f"fitted RMS {fit.train_rms_mm:.3f} mm")


# Commands defined in other modules register here, one block each.
from facetwin.app import cli_mimic  # noqa: E402

app.command("mimic")(cli_mimic.mimic)
app.command("demo")(cli_mimic.demo)

from facetwin.app import cli_selfmodel  # noqa: E402

app.command("babble")(cli_selfmodel.babble)
train_app.command("forward")(cli_selfmodel.train_forward)
train_app.command("inverse")(cli_selfmodel.train_inverse)

from facetwin.app import cli_rl  # noqa: E402

train_app.command("rl")(cli_rl.train_rl)
app.command("eval")(cli_rl.eval_policy)

from facetwin.app import cli_fidelity  # noqa: E402

app.command("fidelity")(cli_fidelity.fidelity)


def main() -> None:
    try:
        app()
    except FacetwinError as exc:
        typer.echo(f"facetwin: error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
