"""Dataset loaders: every source becomes `Clip`s of OpenPose-18 poses at the model's rate.

One module per source (ballroom, paper_json, aist, g1moves, cmu_modern on the BVH reader
bvh.py), all built on common.py; sources.py picks the loader for a `--data` path; features.py
turns a clip's music into the generator's input (cached on disk), styles.py gives clips of a
style their rhythm inputs from their own motion; windows.py cuts training windows. Used by
training and by evaluation; the library (`dance/`) never needs them to make a dance.
"""

from .aist import load_aist, load_aist_pickle
from .ballroom import load_ballroom
from .bvh import BVH, BVHError, forward_kinematics, parse_bvh, read_bvh
from .cmu_modern import load_cmu_clip, load_cmu_modern
from .common import Clip
from .features import PreparedClip, model_input, prepare
from .g1moves import load_g1moves
from .paper_json import load_paper_json
from .sources import SOURCES, load_clips
from .windows import WindowDataset

__all__ = [
    "BVH",
    "BVHError",
    "SOURCES",
    "Clip",
    "PreparedClip",
    "WindowDataset",
    "load_aist",
    "load_aist_pickle",
    "forward_kinematics",
    "load_ballroom",
    "load_cmu_clip",
    "load_cmu_modern",
    "load_clips",
    "load_g1moves",
    "load_paper_json",
    "model_input",
    "parse_bvh",
    "read_bvh",
    "prepare",
]
