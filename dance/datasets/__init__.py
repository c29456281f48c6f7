"""Dataset loaders: every source becomes `Clip`s of OpenPose-18 poses at the model's rate.

Used by training (train/) and by evaluation (dance.evaluate); the library itself never needs
them to make a dance.
"""

from .aist import load_aist, load_aist_pickle
from .ballroom import load_ballroom
from .common import Clip
from .g1moves import load_g1moves
from .paper_json import load_paper_json

__all__ = [
    "Clip",
    "load_aist",
    "load_aist_pickle",
    "load_ballroom",
    "load_g1moves",
    "load_paper_json",
]
