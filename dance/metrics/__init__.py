"""Evaluation metrics for 2D OpenPose-18 dances with their music, one module per family.

kinetic / geometric: motion features (FID_k, FID_g); fid: Frechet distance and diversity;
beats: Beat Alignment Score and the beat-sync test; quality: jitter and bone-length jumps;
crossmodal: the learned music-dance matching; suite: all of them on one dance or a set. The
evaluation table (baselines, report, plots) and the cross-modal training live in the top-level
`evaluation` package. docs/metrics.md documents every definition and its 2D adaptation.
"""

from .beats import BeatAlignment, BeatSync, beat_alignment, beat_sync, motion_beats
from .crossmodal import CrossModal, Matching, Retrieval, load_crossmodal, matching, retrieval
from .fid import ReferenceStats, diversity, fid, load_reference, reference_stats
from .geometric import geometric_features
from .kinetic import kinetic_features
from .quality import MotionQuality, motion_quality
from .suite import DanceScore, Music, SetScore, make_music, score_dance, score_set

__all__ = [
    "BeatAlignment",
    "BeatSync",
    "CrossModal",
    "DanceScore",
    "Matching",
    "MotionQuality",
    "Music",
    "ReferenceStats",
    "Retrieval",
    "SetScore",
    "beat_alignment",
    "beat_sync",
    "diversity",
    "fid",
    "geometric_features",
    "kinetic_features",
    "load_crossmodal",
    "load_reference",
    "make_music",
    "matching",
    "motion_beats",
    "motion_quality",
    "reference_stats",
    "retrieval",
    "score_dance",
    "score_set",
]
