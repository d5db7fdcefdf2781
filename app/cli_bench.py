"""`facetwin bench`: the figures of docs/benchmarks.md, in sections that `--only` picks from, so
one room's figures can be measured again without waiting for every other room's."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, JsonOption
from facetwin.errors import ConfigError, FacetwinError

SECTIONS = ("twin", "perception", "hil", "envs", "selfmodel")


def _measure(section: str, seconds: float, batch: int, clip: Path | None, face: str | None) -> dict:
    if section == "twin":
        from facetwin.sim import bench as sim_bench

        return {
            "fast_skin": sim_bench.bench_fast_skin(batch=batch, seconds=seconds, face=face),
            "sim_face_step": sim_bench.bench_sim_face(seconds=seconds, face=face),
            "render_256": sim_bench.bench_render(size=256, seconds=seconds, face=face),
            "physics_skin": sim_bench.bench_physics_skin(seconds=seconds, face=face),
        }
    if section == "perception":
        from facetwin.faces import sample_clip
        from facetwin.perception.bench import bench_perception
        from facetwin.perception.detector import FACE_MESH

        clip = clip or sample_clip()
        if not clip.is_file():
            raise FacetwinError(f"{clip}: perception benchmark clip not found")
        return {"perception": bench_perception(clip),
                "perception_face_mesh": bench_perception(clip, landmarker=FACE_MESH)}
    if section == "hil":
        from facetwin.app import hil_bench

        return {"hil": {
            "twin_landmarks": hil_bench.bench_hil("maestro", camera=False, seconds=seconds, face=face),
            "camera_perception": hil_bench.bench_hil("maestro", camera=True, seconds=seconds, face=face),
            # Ten settled poses per second of budget: 30 at the default, a quick look at --seconds 0.2.
            "perception_error": hil_bench.perception_error("feetech", n_poses=max(3, round(10 * seconds)), face=face),
        }}
    if section == "envs":
        from facetwin.envs import bench as envs_bench

        return {"envs": envs_bench.bench_envs(num_envs=batch, seconds=seconds, face=face)}
    from facetwin.agents import bench as agents_bench

    return {"selfmodel": agents_bench.bench_inverse(seconds=seconds, batch=batch, face=face)}


def _rows(results: dict, batch: int) -> list[tuple[str, dict]]:
    """The table's rows (name, figures with per_second and latencies) of the sections measured."""
    rows = []
    if "fast_skin" in results:
        physics = results["physics_skin"]
        rows += [
            (f"batched face-steps (batch {batch}, servo + skin)", results["fast_skin"]["face_steps"]),
            (f"batched fast-skin landmarks only (batch {batch})", results["fast_skin"]["skin_only"]),
            ("SimFace.step, single face", results["sim_face_step"]),
            (f"SimFace.step on the pybullet skin ({physics['nodes']} nodes, {physics['substeps']} substeps)", physics),
            (f"render 256x256 ({results['render_256']['gl_renderer']})", results["render_256"]),
        ]
    if "hil" in results:
        rows += [("hardware in the loop on the twin (emulated:maestro, unpaced)", results["hil"]["twin_landmarks"]),
                 ("  the same with camera + perception", results["hil"]["camera_perception"])]
    if "envs" in results:
        rows += [(f"FaceMimic batched env, {batch} envs (env-steps)", results["envs"]["vector"]),
                 ("  the same, mixed reachable and human targets", results["envs"]["vector_mix"]),
                 ("FaceMimic, one gym.make env (steps)", results["envs"]["single"])]
    if "selfmodel" in results:
        rows += [("inverse self-model, single requests (policy.act)", results["selfmodel"]["single"]),
                 (f"inverse self-model, batch {batch} (policy.act_batch, targets)", results["selfmodel"]["batch"])]
    return rows


def _notes(results: dict) -> list[str]:
    """The figures under the table: the physics skin's CPU cost, the filter, perception's error."""
    lines = []
    if "physics_skin" in results:
        b = results["physics_skin"]
        lines.append(f"pybullet skin: {b['per_cpu_second']:,.0f} steps/s per CPU-second ({b['physics_hz']:g} Hz "
                     f"physics; goal 300 steps/s)")
    p = results.get("perception", {})
    if "jitter_raw_mm" in p:
        lines.append(f"One Euro filter: jitter {p['jitter_raw_mm']:.3f} -> {p['jitter_filtered_mm']:.3f} mm "
                     f"({100 * p['jitter_reduction']:.0f}% less), "
                     f"lag {p['lag_frames']:.2f} frames ({p['lag_ms']:.0f} ms)")
    if "hil" in results:
        e = results["hil"]["perception_error"]
        lines.append(f"perception on the twin's camera: {e['neutral_error_mm']:.2f} mm at neutral, "
                     f"{e['expressions']['error_mm']:.2f} mm on expressions (motion "
                     f"{e['expressions']['true_motion_mm']:.2f} mm, its error "
                     f"{e['expressions']['motion_error_mm']:.2f} mm)")
    return lines


def bench(
    json_path: Path | None = JsonOption,
    seconds: float = typer.Option(3.0, "--seconds", min=0.1, help="time per measurement"),
    batch: int = typer.Option(1024, "--batch", min=1),
    clip: Path | None = typer.Option(None, "--clip", help="video for the perception figures (default: bundled sample)"),
    face: str | None = FaceOption,
    only: list[str] | None = typer.Option(None, "--only", help=f"measure only this section (repeatable): "
                                          f"{', '.join(SECTIONS)}"),
    against: str | None = typer.Option(None, "--against", help="measure side by side with a peer instead: "
                                       "mujoco (needs facetwin[mujoco]); --json merges the ratios into the file"),
    rounds: int = typer.Option(5, "--rounds", min=1, help="interleaved rounds per row with --against"),
) -> None:
    """Measure the twin (batched face-steps/s, SimFace.step rate, render frames/s), perception
    (frames/s with decoding, the One Euro filter's jitter reduction and lag), hardware in the
    loop on the twin (steps/s, the landmark error perception adds), the environments and the
    inverse self-model."""
    import os
    import platform

    from rich.console import Console
    from rich.table import Table

    if against is not None:
        _against(against, json_path, seconds, rounds, batch)
        return

    sections = only or list(SECTIONS)
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ConfigError(f"--only {unknown[0]!r}: choose from {', '.join(SECTIONS)}")
    results = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()}}
    for section in SECTIONS:
        if section in sections:
            results.update(_measure(section, seconds, batch, clip, face))

    table = Table(title="facetwin bench")
    for column in ("measurement", "per second", "p50 ms", "p95 ms"):
        table.add_column(column)
    for name, r in _rows(results, batch):
        table.add_row(name, f"{r['per_second']:,.0f}", f"{r['latency_ms_p50']:.3f}", f"{r['latency_ms_p95']:.3f}")
    for key in ("perception", "perception_face_mesh"):
        if key in results:
            p = results[key]
            table.add_row(f"perception, {p['clip']} with decoding ({p['detector']})", f"{p['fps']:,.0f}",
                          f"{p['latency_ms_p50']:.3f}", f"{p['latency_ms_p95']:.3f}")
    Console().print(table)
    for line in _notes(results):
        typer.echo(line)
    if json_path is not None:
        from facetwin.atomic import atomic_write

        json_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(json_path, "w") as handle:
            json.dump(results, handle, indent=2)
        typer.echo(f"wrote {json_path}")


def _against(peer: str, json_path: Path | None, seconds: float, rounds: int, batch: int) -> None:
    """`--against mujoco`: the interleaved rows, their table, and the ratios merged into `json_path`."""
    from rich.console import Console
    from rich.table import Table

    if peer != "mujoco":
        raise ConfigError(f"--against {peer!r}: the one peer is mujoco")
    from facetwin.app.mujoco_bench import against_mujoco, table_rows

    results = against_mujoco(rounds=rounds, seconds=seconds, num_envs=batch)
    table = Table(title=f"facetwin against MuJoCo, per CPU-second, {rounds} interleaved rounds")
    for column in ("path", "facetwin", "peer", "ratio, median (range)"):
        table.add_column(column)
    for row in table_rows(results):
        table.add_row(*row)
    Console().print(table)
    pixels = results["pixel_env"]
    typer.echo(f"pixel env (FaceMimicPixels-v0, 84x84 default): {pixels['per_cpu_second']:,.0f} steps/s per "
               f"CPU-second, {pixels['per_second']:,.0f} wall clock")
    if json_path is not None:
        from facetwin.atomic import atomic_write

        existing = json.loads(json_path.read_text()) if json_path.is_file() else {}
        existing["against_mujoco"] = results
        json_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(json_path, "w") as handle:
            json.dump(existing, handle, indent=2)
        typer.echo(f"wrote {json_path}")
