"""Geometric features (Mueller et al. 2005, as in AIST++ / Bailando FID_g), adapted to 2D.

The original is 32 boolean relations per frame between body parts of a 3D skeleton (a hand
above the neck, a knee bent more than 110 degrees, a foot moving fast, ...), with thresholds
in units of the skeleton's humerus length (hl), shoulder width (sw) and hip width (hw), then
averaged over time. This module computes the same kind of relations on 2D OpenPose-18
keypoints at ANALYSIS_FPS, averaged over each WINDOW_S window, so each feature is the share of
frames in which the relation holds. The 2D adaptation, precisely:

* joints: Hips = mid-hip, Spine = mid-hip, Neck = neck, Shoulder/Arm = shoulder, Hand = wrist,
  UpLeg = hip, Leg = knee, Foot = ankle; Mueller's clavicle (RightShoulder) becomes the neck;
* planes become lines in the image and plane normals become 2D directions: "up" is along the
  spine (mid-hip to neck), "outward" along the hip axis, "height" is measured from the lowest
  joint of the frame (the 2D stand-in for the floor);
* angles are angles between projected 2D vectors, so foreshortening can make a straight
  limb look bent; the real dances, projected the same way, carry the same bias;
* the unit lengths are per dance: the 90th percentile over frames of the projected upper-arm
  length (hl), shoulder width (sw) and hip width (hw). Projection only shortens a bone, so a
  high percentile estimates its true length; a dance drawn at any scale gets the same
  features;
* speeds use central differences at ANALYSIS_FPS, in hl per second, with Mueller's thresholds;
* relations that need depth cannot be seen in 2D and are replaced by visible ones:
  "hand moves forward fast" (2) becomes "hand moves outward fast", "foot in front of the
  body" (2) becomes one "feet crossed", and "hips behind the feet-neck plane" becomes "hips
  shifted sideways over the feet". That gives 31 relations (GEOMETRIC_NAMES).
"""

from __future__ import annotations

import numpy as np

from ..skeleton import JOINT
from .common import ANALYSIS_FPS, to_analysis_px, window_slices

BONE_PERCENTILE = 90  # of projected bone length over a dance: estimates the true 3D length
EPS = 1e-9

_SIDE_FEATURES = (
    "hand_out_fast",
    "hand_above_neck",
    "hand_up_fast",
    "hand_toward_body",
    "arm_raised",
    "thigh_raised",
    "knee_bent",
    "foot_raised",
    "hand_low",
    "hand_fast",
    "foot_fast",
    "other_hand_toward_hips_fast",
)
_BODY_FEATURES = (
    "hands_far_apart",
    "hands_apart_fast",
    "feet_apart",
    "feet_crossed",
    "hips_shifted",
    "torso_horizontal",
    "root_fast",
)
GEOMETRIC_NAMES: tuple[str, ...] = (
    tuple(f"{side}.{name}" for name in _SIDE_FEATURES for side in ("right", "left"))
    + _BODY_FEATURES
)
N_GEOMETRIC = len(GEOMETRIC_NAMES)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + EPS)


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=-1)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos = _dot(a, b) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + EPS)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def reference_lengths(px: np.ndarray) -> tuple[float, float, float]:
    """Humerus length, shoulder width and hip width (px) of a dance (frames, 18, 2)."""

    def length(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(px[:, JOINT[a]] - px[:, JOINT[b]], axis=-1)

    humerus = np.concatenate(
        [length("right_shoulder", "right_elbow"), length("left_shoulder", "left_elbow")]
    )
    hl = float(np.percentile(humerus, BONE_PERCENTILE))
    sw = float(np.percentile(length("right_shoulder", "left_shoulder"), BONE_PERCENTILE))
    hw = float(np.percentile(length("right_hip", "left_hip"), BONE_PERCENTILE))
    return max(hl, EPS), max(sw, EPS), max(hw, EPS)


def relations(px: np.ndarray, rate: float = ANALYSIS_FPS) -> np.ndarray:
    """The 31 boolean relations per frame of pixel poses (frames, 18, 2) -> (frames, 31)."""
    hl, sw, hw = reference_lengths(px)
    vel = np.gradient(px, 1.0 / rate, axis=0)
    j = {name: px[:, idx] for name, idx in JOINT.items()}
    v = {name: vel[:, idx] for name, idx in JOINT.items()}
    mid_hip = 0.5 * (j["right_hip"] + j["left_hip"])
    v_mid_hip = 0.5 * (v["right_hip"] + v["left_hip"])
    down = mid_hip - j["neck"]
    up = _unit(-down)
    lowest_y = px[..., 1].max(axis=1)  # image y grows downwards
    right_dir = _unit(j["right_hip"] - j["left_hip"])  # towards the dancer's right side

    side: dict[str, list[np.ndarray]] = {name: [] for name in _SIDE_FEATURES}
    for s, o, outward in (("right", "left", right_dir), ("left", "right", -right_dir)):
        wrist, elbow, shoulder = j[f"{s}_wrist"], j[f"{s}_elbow"], j[f"{s}_shoulder"]
        hip, knee, ankle = j[f"{s}_hip"], j[f"{s}_knee"], j[f"{s}_ankle"]
        v_wrist, v_ankle = v[f"{s}_wrist"], v[f"{s}_ankle"]
        side["hand_out_fast"].append(_dot(v_wrist - v["neck"], outward) > 1.8 * hl)
        side["hand_above_neck"].append(_dot(wrist - j["neck"], up) > 0.2 * hl)
        side["hand_up_fast"].append(_dot(v_wrist - v_mid_hip, up) > 1.8 * hl)
        side["hand_toward_body"].append(_angle_deg(j["neck"] - shoulder, wrist - shoulder) < 110)
        side["arm_raised"].append(_angle_deg(down, elbow - shoulder) > 25)
        side["thigh_raised"].append(_angle_deg(down, knee - hip) > 50)
        side["knee_bent"].append(_angle_deg(hip - knee, ankle - knee) < 110)
        side["foot_raised"].append(lowest_y - ankle[:, 1] > 1.2 * hl)
        side["hand_low"].append(lowest_y - wrist[:, 1] < 1.2 * hl)
        side["hand_fast"].append(np.linalg.norm(v_wrist, axis=-1) > 2.5 * hl)
        side["foot_fast"].append(np.linalg.norm(v_ankle, axis=-1) > 2.5 * hl)
        v_other = v[f"{o}_wrist"]
        side["other_hand_toward_hips_fast"].append(
            _dot(v_other - v_wrist, _unit(mid_hip - wrist)) > 1.4 * hl
        )

    hands = j["right_wrist"] - j["left_wrist"]
    shoulder_axis = _unit(j["right_shoulder"] - j["left_shoulder"])
    feet = j["right_ankle"] - j["left_ankle"]
    mid_ankle = 0.5 * (j["right_ankle"] + j["left_ankle"])
    body = {
        "hands_far_apart": np.abs(_dot(hands, shoulder_axis)) > 2.5 * sw,
        "hands_apart_fast": _dot(v["right_wrist"] - v["left_wrist"], _unit(hands)) > 1.4 * hl,
        "feet_apart": np.abs(_dot(feet, right_dir)) > 2.1 * hw,
        "feet_crossed": _dot(feet, right_dir) < 0,
        "hips_shifted": np.abs(_dot(mid_hip - mid_ankle, right_dir)) > 0.5 * hl,
        "torso_horizontal": np.abs(_angle_deg(down, np.array([0.0, 1.0])) - 90) < 20,
        "root_fast": np.linalg.norm(v_mid_hip, axis=-1) > 2.3 * hl,
    }
    columns = [side[name][i] for name in _SIDE_FEATURES for i in (0, 1)]
    columns += [body[name] for name in _BODY_FEATURES]
    out = np.stack(columns, axis=1)
    assert out.shape == (px.shape[0], N_GEOMETRIC)
    return out


def geometric_features(keypoints: np.ndarray, fps: float) -> np.ndarray:
    """Share of frames each relation holds, per window of a dance.

    Args:
        keypoints: (frames, 18, 2) normalised poses at fps.
        fps: their frame rate (any).

    Returns:
        (n_windows, 31) float64 in [0, 1], one row per WINDOW_S window.

    Raises:
        InputError: the keypoints are malformed or under a second long.
    """
    px = to_analysis_px(keypoints, fps)
    rel = relations(px).astype(np.float64)
    return np.stack([rel[s].mean(axis=0) for s in window_slices(px.shape[0], ANALYSIS_FPS)])
