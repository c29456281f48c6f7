"""G1 Moves dance clips: human capture retargeted to a 1.32 m humanoid; motion only, CC BY 4.0.

``<clip>/motion.npz`` holds ``joints`` (T, 23, 3) world positions in metres, z up, at 60 fps,
and ``openpose18_index``. The robot is scaled up to human height before projecting; head points
are fixed offsets in the torso frame (not measured), so the head moves with the torso.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import Clip, front_view_px, rolling_floor, to_model_rate

ROBOT_HEIGHT_M = 1.32
HUMAN_HEIGHT_M = 1.70  # the ballroom dancers' height; the robot is scaled to it
ANKLE_HEIGHT_M = 0.05  # the robot's ankle joints above the floor when standing
VALIDATION_CLIPS = ("J_Dance2_Salsa", "J_Dance17_Shuffle", "B_WiggleDance")


def load_g1_clip(folder: str | Path) -> Clip:
    """One G1 Moves clip as a motion-only Clip at MODEL_FPS in the shared layout."""
    folder = Path(folder)
    data = np.load(folder / "motion.npz")
    fps = float(data["fps"])
    joints = data["joints"].astype(np.float64)[:, data["openpose18_index"]]
    # z-up world -> y-up, keeping the frame right-handed: (x, y, z) -> (x, z, -y).
    joints = np.stack([joints[..., 0], joints[..., 2], -joints[..., 1]], axis=-1)
    joints *= HUMAN_HEIGHT_M / ROBOT_HEIGHT_M
    root = 0.5 * (joints[:, 8] + joints[:, 11])
    left = 0.5 * ((joints[:, 5] - joints[:, 2]) + (joints[:, 11] - joints[:, 8]))
    # The robot has no toes: its lowest points are the ankle joints, about 5 cm up.
    floor = rolling_floor(joints[:, [10, 13], 1].min(axis=1) - ANKLE_HEIGHT_M, fps)
    poses = to_model_rate(front_view_px(joints, root, left, floor, fps), fps)
    return Clip(
        name=f"g1moves/{folder.name}",
        source="g1moves",
        genre=str(data["genre"]),
        split="val" if folder.name in VALIDATION_CLIPS else "train",
        poses=poses.astype(np.float32),
        fps=10,
        audio=None,
    )


def load_g1moves(root: str | Path) -> list[Clip]:
    """Every clip folder under root, sorted by name."""
    return [load_g1_clip(p.parent) for p in sorted(Path(root).glob("*/motion.npz"))]
