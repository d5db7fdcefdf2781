"""Pictures of the physics skin's dynamics for docs/physics.md, which `facetwin plot physics`
writes: `physics_step_response_<face>.png` (a step command on a few actuators: the command, the
servo linkage and a skin landmark over time, fast skin against physics skin) and
`physics_interaction_<face>.png` (jaw open plus a lip-corner pull: how far the physics skin departs
from the sum of the two motions, which the linear skin reproduces exactly), with the figures the
docs quote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facetwin.figure import save_figure
from facetwin.sim.bullet_skin import BulletSkin
from facetwin.sim.fast_skin import FastSkin
from facetwin.sim.rig import FaceModel
from facetwin.sim.sim_face import SimFace

STEP_ACTUATORS = ("lip_corner_puller_L", "jaw_open", "brow_inner_raiser_L", "upper_lip_raiser")
INTERACTION = {"jaw_open": 0.6, "lip_corner_puller_L": 1.0}


def _command(model: FaceModel, values: dict[str, float]) -> np.ndarray:
    command = model.spec.neutral_command.copy()
    for name, value in values.items():
        command[model.spec.actuator_names.index(name)] = value
    return command


def tracked_landmark(model: FaceModel, fast: FastSkin, actuator: str) -> int:
    """The landmark no actuator holds that moves most when `actuator` goes to +1 on the fast skin."""
    positions = model.spec.command_to_position(_command(model, {actuator: 1.0}))
    free = np.setdiff1d(np.arange(len(model.neutral_landmarks)), model.constrained)
    free = free[~np.isin(free, np.concatenate(model.iris))]
    moved = np.linalg.norm(fast.landmarks(positions)[free] - model.neutral_landmarks[free], axis=1)
    return int(free[np.argmax(moved)])


def step_response(model: FaceModel, actuator: str, seconds: float = 1.5, delay: float = 0.1) -> dict:
    """A step from neutral to +1 on one actuator, on both skins: time, command, linkage and landmark displacement."""
    fast = FastSkin(model)
    landmark = tracked_landmark(model, fast, actuator)
    index = model.spec.actuator_names.index(actuator)
    steps = int(round(seconds * model.spec.control_hz))
    onset = int(round(delay * model.spec.control_hz))
    out: dict = {"actuator": actuator, "landmark": landmark}
    for skin in ("fast", "bullet"):
        with SimFace(model, skin=skin) as twin:
            twin.reset()
            times, command, linkage, displacement = [], [], [], []
            for k in range(steps):
                applied = _command(model, {actuator: 1.0}) if k >= onset else model.spec.neutral_command
                obs = twin.step(applied)
                times.append(obs.time)
                command.append(model.spec.command_to_position(applied)[index])
                linkage.append(twin.dynamics.load[0, index])
                displacement.append(np.linalg.norm(obs.landmarks[landmark] - model.neutral_landmarks[landmark]))
        out["time"], out["command"], out[f"linkage_{skin}"] = np.array(times), np.array(command), np.array(linkage)
        out[skin] = np.array(displacement)
    return out


def response_figures(response: dict) -> dict:
    """Final displacement, overshoot (% of the final value) and settling time (the step's onset to the
    last sample more than 5% of the final value away from it) for each skin."""
    t = response["time"]
    onset = t[np.argmax(response["command"] != response["command"][0])]
    figures = {}
    for skin in ("fast", "bullet"):
        trace = response[skin]
        final = trace[-1]
        outside = np.flatnonzero(np.abs(trace - final) > 0.05 * abs(final))
        figures[f"{skin}_final_mm"] = float(final)
        figures[f"{skin}_overshoot_pct"] = float(100.0 * max(0.0, trace.max() - final) / max(final, 1e-9))
        figures[f"{skin}_settle_s"] = float(t[outside[-1]] - onset + t[1] - t[0]) if len(outside) else 0.0
    return figures


def plot_step_responses(model: FaceModel, path: Path) -> list[dict]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    summary = []
    for ax, actuator in zip(axes.ravel(), STEP_ACTUATORS):
        r = step_response(model, actuator)
        scale = r["fast"][-1] / max(abs(r["command"][-1] - r["command"][0]), 1e-9)
        ax.step(r["time"], (r["command"] - r["command"][0]) * scale, where="post", color="0.6", lw=1,
                label="command (scaled)")
        ax.plot(r["time"], (r["linkage_fast"] - r["linkage_fast"][0]) * scale, color="0.35", ls=":",
                label="servo linkage (scaled)")
        ax.plot(r["time"], r["fast"], color="tab:blue", ls="--", label="fast skin")
        ax.plot(r["time"], r["bullet"], color="tab:red", label="physics skin")
        figures = response_figures(r)
        summary.append({"actuator": actuator, "landmark": r["landmark"], **figures})
        ax.set_title(f"{actuator}: landmark {r['landmark']}  (overshoot {figures['bullet_overshoot_pct']:.0f}%)",
                     fontsize=10)
        ax.set_ylabel("landmark displacement (mm)")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)")
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.suptitle("Step to +1 at t = 0.1 s: servo model, then the skin (30 Hz control, 8 physics substeps)")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return summary


def interaction(model: FaceModel) -> dict:
    """Settled landmarks for neutral, each motion alone and both together, on the physics skin."""
    names = list(INTERACTION)
    cases = {"neutral": {}, names[0]: {names[0]: INTERACTION[names[0]]}, names[1]: {names[1]: INTERACTION[names[1]]},
             "both": INTERACTION}
    skin = BulletSkin(model)
    settled = {}
    try:
        for label, values in cases.items():
            positions = model.spec.command_to_position(_command(model, values))
            skin.settle(positions, max_seconds=8.0)
            settled[label] = skin.landmarks(positions).astype(np.float64)
    finally:
        skin.close()
    superposed = settled[names[0]] + settled[names[1]] - settled["neutral"]
    fast = FastSkin(model)
    fast_both = fast.landmarks(model.spec.command_to_position(_command(model, INTERACTION))).astype(np.float64)
    fast_sum = sum(fast.landmarks(model.spec.command_to_position(_command(model, c))).astype(np.float64)
                   for c in (cases[names[0]], cases[names[1]])) - fast.landmarks(
        model.spec.command_to_position(model.spec.neutral_command)).astype(np.float64)
    return {"both": settled["both"], "superposed": superposed, "fast_interaction": fast_both - fast_sum}


def plot_interaction(model: FaceModel, path: Path) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = interaction(model)
    term = data["both"] - data["superposed"]
    size = np.linalg.norm(term, axis=1)
    fast_size = np.linalg.norm(data["fast_interaction"], axis=1)
    lower = np.flatnonzero(model.neutral_landmarks[:, 1] < -20.0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5), gridspec_kw={"width_ratios": [1.2, 1]})
    left.scatter(model.neutral_landmarks[lower, 0], model.neutral_landmarks[lower, 1], s=4, c="0.8",
                 label="neutral")
    left.scatter(data["superposed"][lower, 0], data["superposed"][lower, 1], s=6, c="tab:blue",
                 label="jaw alone + lip pull alone (superposed)")
    left.scatter(data["both"][lower, 0], data["both"][lower, 1], s=6, c="tab:red", label="both together")
    left.quiver(data["superposed"][lower, 0], data["superposed"][lower, 1], term[lower, 0], term[lower, 1],
                angles="xy", scale_units="xy", scale=1.0, width=0.003, color="k")
    left.set_aspect("equal")
    left.set_xlabel("x (mm, face's left)")
    left.set_ylabel("y (mm, up)")
    left.set_title("Physics skin, lower face, front view")
    left.legend(fontsize=8, loc="lower left")
    order = np.argsort(-size)
    right.plot(size[order], color="tab:red", label="physics skin")
    right.plot(fast_size[order], color="tab:blue", ls="--", label="fast skin (exactly linear)")
    right.set_xlabel("landmarks, sorted")
    right.set_ylabel("|both - (jaw + pull - neutral)| (mm)")
    right.set_title(f"Interaction term: max {size.max():.1f} mm, {int((size > 1.0).sum())} landmarks over 1 mm")
    right.legend()
    right.grid(alpha=0.3)
    fig.suptitle(f"Jaw open {INTERACTION['jaw_open']:+.1f} with lip-corner pull "
                 f"{INTERACTION['lip_corner_puller_L']:+.1f}"
                 " (commands), settled")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return {"max_mm": float(size.max()), "mean_mm": float(size.mean()), "over_1mm": int((size > 1.0).sum()),
            "argmax": int(np.argmax(size)), "fast_max_mm": float(fast_size.max())}

