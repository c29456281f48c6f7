"""Kinetic features (AIST++ / Bailando FID_k), adapted to 2D OpenPose-18 keypoints.

The 3D original (fairmotion's ``extract_kinetic_features``, used by AIST++ and Bailando) gives
three numbers per joint over a clip: the mean squared horizontal speed, the mean squared
vertical speed and the mean acceleration magnitude ("energy expenditure"). The 2D version:

* "horizontal" is the image x axis and "vertical" the image y axis. There is no depth, so the
  horizontal energy holds one axis where the 3D one holds two (x and z);
* positions are pixels of the paper's 640 x 360 frame at ANALYSIS_FPS, whatever the input
  rate, so speeds are px/s and accelerations px/s^2; the shared layout (train/data/common.py)
  removes horizontal travel, so these are body motion plus rise and fall, not travel;
* velocity is the central difference (the original averages finite differences over a
  +-2 frame window at 60 fps, about the same +-33 ms), acceleration the central difference of
  that. The original's acceleration has an operator-precedence bug (``p[i] - p[i-1] / dt``);
  this is the intended formula;
* features are computed per WINDOW_S window, not per whole dance, so a handful of dances
  still gives enough vectors for a covariance.

Layout of one vector: for each of the 18 joints in skeleton order, (horizontal energy,
vertical energy, energy expenditure): 54 numbers. FID and diversity live in fid.py.
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_NAMES, N_JOINTS
from .common import ANALYSIS_FPS, to_analysis_px, window_slices

N_KINETIC = 3 * N_JOINTS  # features per window
KINETIC_NAMES: tuple[str, ...] = tuple(
    f"{joint}.{kind}" for joint in JOINT_NAMES for kind in ("ke_x", "ke_y", "energy")
)


def kinetic_vector(px: np.ndarray, rate: float = ANALYSIS_FPS) -> np.ndarray:
    """Kinetic features of one pixel-pose clip (frames, 18, 2) at rate -> (54,) float64."""
    if px.shape[0] < 3:
        raise ValueError(f"kinetic features need at least 3 frames, got {px.shape[0]}")
    velocity = np.gradient(px, 1.0 / rate, axis=0)  # px/s
    acceleration = np.gradient(velocity, 1.0 / rate, axis=0)  # px/s^2
    ke_x = np.mean(velocity[..., 0] ** 2, axis=0)
    ke_y = np.mean(velocity[..., 1] ** 2, axis=0)
    energy = np.mean(np.linalg.norm(acceleration, axis=-1), axis=0)
    return np.stack([ke_x, ke_y, energy], axis=1).reshape(N_KINETIC)


def kinetic_features(keypoints: np.ndarray, fps: float) -> np.ndarray:
    """Kinetic features per window of a dance.

    Args:
        keypoints: (frames, 18, 2) normalised poses at fps.
        fps: their frame rate (any).

    Returns:
        (n_windows, 54) float64, one row per WINDOW_S window.

    Raises:
        InputError: the keypoints are malformed or under a second long.
    """
    px = to_analysis_px(keypoints, fps)
    return np.stack([kinetic_vector(px[s]) for s in window_slices(px.shape[0], ANALYSIS_FPS)])
