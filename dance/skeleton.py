"""The OpenPose COCO-18 skeleton: joint names, limbs, colours, graph edges and coordinate maps.

Poses travel through the project as float arrays of shape (frames, 18, 2). Two coordinate
systems exist and names say which one an array holds:

* ``xy_norm``: the paper's normalised box, x' = x/320 - 1 and y' = y/180 - 1, about [-1, 1];
* ``xy_px``: pixels of the paper's 640 x 360 frame (x right, y down).

Nothing here draws or reads files; render.py draws, export.py writes.
"""

from __future__ import annotations

import numpy as np

N_JOINTS = 18

JOINT_NAMES: tuple[str, ...] = (
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
)
JOINT = {name: i for i, name in enumerate(JOINT_NAMES)}

# The paper's pixel frame: poses are stored in 640 x 360 pixels and mapped to [-1, 1].
PAPER_WIDTH = 640
PAPER_HEIGHT = 360

# Limbs as drawn by OpenPose (and by the paper's output_helper.py), in drawing order; each has
# the colour of the same index in OPENPOSE_COLORS.
LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2),
    (1, 5),
    (2, 3),
    (3, 4),
    (5, 6),
    (6, 7),
    (1, 8),
    (8, 9),
    (9, 10),
    (1, 11),
    (11, 12),
    (12, 13),
    (1, 0),
    (0, 14),
    (14, 16),
    (0, 15),
    (15, 17),
)

# The standard OpenPose body colours (RGB), one per joint; limb i uses colour i.
OPENPOSE_COLORS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0),
    (255, 85, 0),
    (255, 170, 0),
    (255, 255, 0),
    (170, 255, 0),
    (85, 255, 0),
    (0, 255, 0),
    (0, 255, 85),
    (0, 255, 170),
    (0, 255, 255),
    (0, 170, 255),
    (0, 85, 255),
    (0, 0, 255),
    (85, 0, 255),
    (170, 0, 255),
    (255, 0, 255),
    (255, 0, 170),
    (255, 0, 85),
)

# The ST-GCN "openpose" layout (Yan et al. 2018): hips hang from the shoulders, centre is the neck.
STGCN_EDGES: tuple[tuple[int, int], ...] = (
    (4, 3),
    (3, 2),
    (7, 6),
    (6, 5),
    (13, 12),
    (12, 11),
    (10, 9),
    (9, 8),
    (11, 5),
    (8, 2),
    (5, 1),
    (2, 1),
    (0, 1),
    (15, 0),
    (14, 0),
    (17, 15),
    (16, 14),
)
STGCN_CENTER = JOINT["neck"]

# Left/right pairs: a horizontal mirror swaps these and negates x.
MIRROR_PAIRS: tuple[tuple[int, int], ...] = (
    (2, 5),
    (3, 6),
    (4, 7),
    (8, 11),
    (9, 12),
    (10, 13),
    (14, 15),
    (16, 17),
)
MIRROR_INDEX: tuple[int, ...] = tuple(
    next((b if j == a else a for a, b in MIRROR_PAIRS if j in (a, b)), j) for j in range(N_JOINTS)
)

# Bones whose 2D length is checked by the motion-quality metric (limbs and torso, not the face).
BODY_BONES: tuple[tuple[int, int], ...] = tuple(
    (a, b) for a, b in LIMBS if a not in (0, 14, 15, 16, 17) and b not in (0, 14, 15, 16, 17)
)


def px_to_norm(xy_px: np.ndarray) -> np.ndarray:
    """Map paper pixels (..., 2) in the 640 x 360 frame to the normalised box (..., 2)."""
    xy_px = np.asarray(xy_px, dtype=np.float32)
    return np.stack(
        [xy_px[..., 0] / (PAPER_WIDTH / 2) - 1.0, xy_px[..., 1] / (PAPER_HEIGHT / 2) - 1.0],
        axis=-1,
    )


def norm_to_px(xy_norm: np.ndarray) -> np.ndarray:
    """Map normalised poses (..., 2) back to pixels of the paper's 640 x 360 frame (..., 2)."""
    xy_norm = np.asarray(xy_norm, dtype=np.float32)
    return np.stack(
        [(xy_norm[..., 0] + 1.0) * (PAPER_WIDTH / 2), (xy_norm[..., 1] + 1.0) * (PAPER_HEIGHT / 2)],
        axis=-1,
    )


def mirror_norm(xy_norm: np.ndarray) -> np.ndarray:
    """Mirror normalised poses (..., 18, 2) left-right about the frame's vertical centre line."""
    out = np.asarray(xy_norm)[..., MIRROR_INDEX, :].copy()
    out[..., 0] = -out[..., 0]
    return out
