"""The results page's perceived agreement: what MediaPipe's FaceLandmarker reads on each person and
on the twin copying them, for every clip and still of the media folder.

Clips are run through the whole mimic loop (perception, retargeting, the inverse policy, the servos
live) and scored by correlation over time, beside the ceiling (the retarget drawn on the twin); a
contact sheet of each clip's most expressive frames shows what the numbers mean. Stills are scored
by whether the person's three strongest blendshapes are among the twin's five strongest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from facetwin.agents.mimic.expressive_frames import moment_sheet
from facetwin.agents.mimic.still_agreement import still_agreement
from facetwin.agents.mimic.video import PANEL_HEIGHT
from facetwin.agents.policies.registry import make_policy
from facetwin.agents.selfmodel.evaluation import IMAGE_SUFFIXES, media_files
from facetwin.errors import FacetwinError
from facetwin.figure import save_image
from facetwin.perception.reachable import reachable_bounds
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace

LOW_R = 0.3
"""A compared blendshape below this correlation is one a viewer would see the twin miss."""


def _agreement_row(agreement: dict) -> dict:
    per = agreement["per_blendshape"]
    gains = [v["gain"] for v in per.values()]
    return {"mean_correlation": agreement["mean_correlation"], "compared": agreement["blendshapes_compared"],
            "below": sorted(k for k, v in per.items() if v["r"] < LOW_R),
            "median_gain": float(np.median(gains)) if gains else None}


def clip_agreement(model: FaceModel, clip: Path, sheet: Path, progress: bool) -> dict:
    """One clip through `facetwin mimic` (inverse policy, fast skin) with the agreement and its sheet."""
    from facetwin.app.mimic_job import MimicOptions, run_mimic_job

    summary = run_mimic_job(MimicOptions(source=str(clip), face=str(model.path), oracle=False, agreement=True,
                                         contact_sheet=sheet, progress=progress))["summary"]
    agreement = summary.get("blendshape_agreement") or {}
    if agreement.get("mean_correlation") is None:
        return {"file": clip.name, "error": "no frame scored on both faces"}
    return {"file": clip.name, "frames": agreement["frames_scored"], "twin": _agreement_row(agreement),
            "ceiling": _agreement_row(agreement["ceiling"]), "sheet": sheet.name if sheet.is_file() else None}


def evaluate_agreement(model: FaceModel, media: Path, img: Path, progress: bool = True) -> dict:
    """Agreement rows for the clips and the stills of `media`; contact sheets written into `img`."""
    clips, stills, moments = [], [], []
    files = media_files(media)
    with SimFace(model) as twin:
        bounds = reachable_bounds(twin)
    policy = make_policy("inverse", model)
    for path in tqdm(files, desc="agreement", unit="file", disable=not progress):
        try:
            if path.suffix.lower() in IMAGE_SUFFIXES:
                still = still_agreement(path, model, bounds, policy, PANEL_HEIGHT)
                if still is None:
                    stills.append({"file": path.name, "error": "no face read"})
                else:
                    stills.append(still.as_dict())
                    moments.append(still.moment)
            else:
                clips.append(clip_agreement(model, path, img / f"agreement_{path.stem}.png", False))
        except FacetwinError as error:  # a file perception cannot read is listed, not fatal
            (stills if path.suffix.lower() in IMAGE_SUFFIXES else clips).append({"file": path.name,
                                                                                  "error": str(error)})
    sheet = save_image(moment_sheet(moments), img / "agreement_stills.png").name if moments else None
    return {"clips": clips, "stills": stills, "stills_sheet": sheet}


def _cell(row: dict) -> str:
    below = ", ".join(row["below"]) or "none"
    gain = "—" if row["median_gain"] is None else f"{row['median_gain']:.2f}"
    return f"{row['mean_correlation']:.2f} | {gain} | {below}"


def agreement_markdown(results: dict) -> list[str]:
    """The page's section: a table for the clips, one for the stills, and the contact sheets."""
    lines = [
        "## What a viewer reads: blendshape agreement",
        "",
        "MediaPipe's FaceLandmarker (the model facetwin ships) scores 52 blendshapes on the person and on the "
        "rendered twin, frame by frame (`facetwin mimic`, inverse policy, servos live). Per clip: the mean "
        "correlation over the blendshapes the person moves (std >= 0.05; one the twin does not move counts as "
        f"r = 0), the median gain (slope of twin on person) and the blendshapes below r = {LOW_R}. The ceiling "
        "is the retargeted target itself drawn on the twin's mesh: what it loses is lost to retargeting and "
        "rendering, what the twin loses beyond it to the policy and the servos.",
        "",
        "| clip | frames | compared | twin: mean r | median gain | below 0.3 | ceiling: mean r | median gain | "
        "below 0.3 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results["clips"]:
        if "error" in r:
            lines.append(f"| {r['file']} | — | — | {r['error']} | | | | | |")
            continue
        lines.append(f"| {r['file']} | {r['frames']} | {r['twin']['compared']} | {_cell(r['twin'])} | "
                     f"{_cell(r['ceiling'])} |")
    lines += [
        "",
        "Stills, the command held until the servos settle: are the person's three strongest blendshapes among "
        "the twin's five strongest?",
        "",
        "| image | person's strongest three | twin | ceiling |",
        "| --- | --- | --- | --- |",
    ]

    def word(hit: bool | None) -> str:
        return "no face read" if hit is None else ("yes" if hit else "no")

    for r in results["stills"]:
        if "error" in r:
            lines.append(f"| {r['file']} | {r['error']} | | |")
            continue
        lines.append(f"| {r['file']} | {', '.join(r['person_top3'])} | {word(r['twin_hit'])} | "
                     f"{word(r['ceiling_hit'])} |")
    hits = [r["twin_hit"] for r in results["stills"] if "error" not in r]
    if hits:
        lines += ["", f"The twin shows the person's strongest three on {sum(bool(h) for h in hits)} of {len(hits)} "
                      "stills."]
    lines.append("")
    for r in results["clips"]:
        if r.get("sheet"):
            lines += [f"![{r['file']}: the most expressive frames, person | twin](img/{r['sheet']})", ""]
    if results.get("stills_sheet"):
        lines += [f"![the stills, person | twin](img/{results['stills_sheet']})", ""]
    return lines
