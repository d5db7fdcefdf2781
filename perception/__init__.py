"""Perception and retargeting: real human faces in, robot target expressions out.

frames (sources) -> landmarks (detector) -> face frame + head pose (alignment) -> One Euro
filter (pipeline) -> robot target landmarks and eye/neck commands (retarget), clipped to the
reach measured on the robot (reachable). Imports only the `facetwin` contract.
"""

from facetwin.perception.alignment import FaceAligner, HeadPose
from facetwin.perception.bench import bench_perception
from facetwin.perception.detector import LANDMARKER_ENV, Detection, LandmarkDetector, create_detector
from facetwin.perception.errors import PerceptionError, SourceError
from facetwin.perception.neutral import RunningNeutral, estimate_neutral
from facetwin.perception.one_euro import OneEuroConfig, OneEuroFilter
from facetwin.perception.pipeline import Percept, Perception, PerceptionConfig, perceive
from facetwin.perception.reachable import ReachableBounds, ReachProtocol, measure_reachable, reachable_bounds
from facetwin.perception.reference import reference_landmarks
from facetwin.perception.retarget import RetargetConfig, Retargeter, RetargetTarget
from facetwin.perception.sources import Frame, FrameSource, open_source
from facetwin.perception.track import Track, load_track, save_track, track

__all__ = [
    "LANDMARKER_ENV",
    "Detection",
    "FaceAligner",
    "Frame",
    "FrameSource",
    "HeadPose",
    "LandmarkDetector",
    "OneEuroConfig",
    "OneEuroFilter",
    "Percept",
    "Perception",
    "PerceptionConfig",
    "PerceptionError",
    "ReachProtocol",
    "ReachableBounds",
    "RetargetConfig",
    "RetargetTarget",
    "Retargeter",
    "RunningNeutral",
    "SourceError",
    "Track",
    "bench_perception",
    "create_detector",
    "estimate_neutral",
    "load_track",
    "measure_reachable",
    "open_source",
    "perceive",
    "reachable_bounds",
    "reference_landmarks",
    "save_track",
    "track",
]
