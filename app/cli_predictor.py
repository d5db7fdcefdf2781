"""`facetwin train predictor`: the person's expression forecast, learned from clips of people."""

from __future__ import annotations

from pathlib import Path

import typer

from facetwin.app.cli_options import FaceOption, LandmarkerOption
from facetwin.app.cli_selfmodel import SeedOption


def train_predictor(
    data: Path = typer.Option(..., "--data", exists=True, help="a folder of clips of people (or one clip)"),
    out: Path = typer.Option(..., "--out", help="the predictor to write (.npz)"),
    face: str | None = FaceOption,
    landmarker: str | None = LandmarkerOption,
    epochs: int = typer.Option(40, "--epochs", min=1, help="epochs of training"),
    seed: int = SeedOption,
) -> None:
    """Train the expression predictor on every clip in DIR, after scoring it on each clip with one
    trained on the others (200 ms ahead, against holding the last frame and constant velocity)."""
    from facetwin.agents.predictor.sequences import clip_segments, find_clips
    from facetwin.agents.predictor.train import EVAL_HORIZON_S, held_out_scores
    from facetwin.agents.predictor.train import train_predictor as run
    from facetwin.sim.rig import load_face

    if out.suffix != ".npz":
        raise typer.BadParameter(f"{out}: the predictor is an .npz file", param_hint="--out")
    model = load_face(face)
    segments = [s for clip in find_clips(data) for s in clip_segments(clip, model, landmarker)]
    clips = sorted({s.clip for s in segments})
    held_out = held_out_scores(segments, model.spec, epochs=epochs, seed=seed) if len(clips) > 1 else {}
    predictor = run(segments, model.spec, epochs=epochs, seed=seed)
    predictor.metrics.update({"clips": clips, "frames": int(sum(len(s.times) for s in segments)),
                              "horizon_ms": 1000 * EVAL_HORIZON_S,
                              "held_out": {c: {k: round(v, 4) for k, v in s.items()} for c, s in held_out.items()}})
    predictor.save(out)
    for clip, s in held_out.items():
        typer.echo(f"{clip} (held out): {1000 * EVAL_HORIZON_S:.0f} ms ahead, predictor {s['predictor_mm']:.3f} mm, "
                   f"hold the last frame {s['hold_mm']:.3f} mm, constant velocity {s['constant_velocity_mm']:.3f} mm")
    typer.echo(f"wrote {out}: trained on {len(clips)} clip(s), {predictor.metrics['frames']} frames with a face")
