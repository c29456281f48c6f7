"""The manner of a real dance, measured for the generator's "variation" input (dance.variation).

Ten numbers per clip, each the same for a dance and its mirror image (training mirrors
windows), in torso lengths so that a dancer's size and the camera's distance do not count:
where the wrists are held and how far apart, the stance, the knee bend, the lean, how fast the
arms and the legs move, how much the hips bounce, how far the arms travel up and down, and how
much the dancer turns (the shoulders' width on screen changing). Standardised over all the
training clips, they become the rows of `GeneratorConfig.variations`.
"""

from __future__ import annotations

import numpy as np

from dance.skeleton import JOINT, norm_to_px
from dance.variation import VARIATION_FEATURES

SPEED_EPSILON = 0.01  # torso lengths a second, added before the log of a speed
STANDARD_CLIP = 3.0  # standardised descriptors are clipped to +-this many standard deviations


def _pair(xy: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    return xy[:, JOINT[f"right_{name}"]], xy[:, JOINT[f"left_{name}"]]


def motion_descriptor(poses: np.ndarray, fps: float) -> np.ndarray:
    """The manner of a dance: (len(VARIATION_FEATURES),) float64, in VARIATION_FEATURES order.

    Args:
        poses: (frames, 18, 2) normalised poses, at least 2 frames.
        fps: their frame rate.
    """
    xy = norm_to_px(poses).astype(np.float64)  # pixels: x right, y down, one scale
    neck = xy[:, JOINT["neck"]]
    hip = 0.5 * (xy[:, JOINT["right_hip"]] + xy[:, JOINT["left_hip"]])
    torso = max(float(np.median(np.linalg.norm(neck - hip, axis=-1))), 1e-6)
    shoulder_r, shoulder_l = _pair(xy, "shoulder")
    wrist_r, wrist_l = _pair(xy, "wrist")
    elbow_r, elbow_l = _pair(xy, "elbow")
    ankle_r, ankle_l = _pair(xy, "ankle")
    knee_r, knee_l = _pair(xy, "knee")
    hip_r, hip_l = _pair(xy, "hip")
    shoulder_y = 0.5 * (shoulder_r[:, 1] + shoulder_l[:, 1])
    wrist_height = (shoulder_y - 0.5 * (wrist_r[:, 1] + wrist_l[:, 1])) / torso

    def bend(h: np.ndarray, k: np.ndarray, a: np.ndarray) -> np.ndarray:
        leg = np.linalg.norm(h - k, axis=-1) + np.linalg.norm(k - a, axis=-1)
        return (leg - np.linalg.norm(h - a, axis=-1)) / torso

    def log_speed(*joints: np.ndarray) -> float:
        track = np.stack(joints, axis=1)  # (frames, joints, 2)
        speed = np.linalg.norm(np.diff(track, axis=0), axis=-1).mean() * fps / torso
        return float(np.log(speed + SPEED_EPSILON))

    values = {
        "wrist_height": float(wrist_height.mean()),
        "wrist_spread": float(np.linalg.norm(wrist_r - wrist_l, axis=-1).mean() / torso),
        "stance": float(np.linalg.norm(ankle_r - ankle_l, axis=-1).mean() / torso),
        "knee_bend": float((bend(hip_r, knee_r, ankle_r) + bend(hip_l, knee_l, ankle_l)).mean())
        / 2,
        "lean": float(np.abs(neck[:, 0] - hip[:, 0]).mean() / torso),
        "arm_speed": log_speed(wrist_r, wrist_l, elbow_r, elbow_l),
        "leg_speed": log_speed(ankle_r, ankle_l, knee_r, knee_l),
        "bounce": float(np.log(hip[:, 1].std() / torso + SPEED_EPSILON)),
        "arm_range": float(wrist_height.std()),
        "turning": float((np.abs(shoulder_r[:, 0] - shoulder_l[:, 0]) / torso).std()),
    }
    return np.array([values[name] for name in VARIATION_FEATURES])


def standardise(descriptors: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Descriptors (n, k) in standard deviations of `reference` (m, k), clipped to
    +-STANDARD_CLIP; a constant column becomes 0."""
    mean = reference.mean(axis=0)
    std = reference.std(axis=0)
    z = (descriptors - mean) / np.where(std > 1e-9, std, np.inf)
    return np.clip(z, -STANDARD_CLIP, STANDARD_CLIP)


LEAD_LIMBS = ("wrist", "elbow", "knee", "ankle")  # the joints whose speeds say which side leads


def lead_side(poses: np.ndarray) -> float:
    """Which side leads a window (frames, 18, 2): +1.0 when the right wrist, elbow, knee and
    ankle move at least as far as the left ones, else -1.0 (dance.variation's lead input).
    Mirroring a window changes its sign (bar exact ties)."""
    xy = norm_to_px(poses).astype(np.float64)
    travel = np.linalg.norm(np.diff(xy, axis=0), axis=-1).sum(axis=0)  # (18,)
    right = sum(travel[JOINT[f"right_{limb}"]] for limb in LEAD_LIMBS)
    left = sum(travel[JOINT[f"left_{limb}"]] for limb in LEAD_LIMBS)
    return 1.0 if right >= left else -1.0
