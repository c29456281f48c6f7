"""CMU modern dance (subject 5): BVH clips of a Reallusion CC_Base rig; motion only.

Each ``005_NN.bvh.gz`` is read with train.bvh and its joints mapped to OpenPose-18. The rig has
eyes but no ears or nose: the nose is put just in front of the eyes and the ears either side of
the head joint. Positions are in centimetres, y up. Whole clips are held out for validation
(the clips are 4 to 15 s long, too short to cut).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dance.skeleton import JOINT

from .bvh import forward_kinematics, read_bvh
from .common import Clip, front_view_px, rolling_floor, to_model_rate

CM_PER_M = 100.0
ANKLE_HEIGHT_M = 0.08  # the rig's foot joint above the floor when the foot is flat
EAR_OFFSET_M = 0.075  # ears sit this far either side of the head joint
NOSE_FORWARD = 0.6  # nose = eye midpoint + this much of the head-to-eyes vector ...
NOSE_DROP_M = 0.03  # ... and this much lower
VALIDATION_CLIPS = ("005_05", "005_09", "005_13", "005_17")

# OpenPose joint -> CC_Base bone whose origin stands for it.
CC_BONES = {
    "neck": "CC_Base_NeckTwist01",
    "right_shoulder": "CC_Base_R_Upperarm",
    "right_elbow": "CC_Base_R_Forearm",
    "right_wrist": "CC_Base_R_Hand",
    "left_shoulder": "CC_Base_L_Upperarm",
    "left_elbow": "CC_Base_L_Forearm",
    "left_wrist": "CC_Base_L_Hand",
    "right_hip": "CC_Base_R_Thigh",
    "right_knee": "CC_Base_R_Calf",
    "right_ankle": "CC_Base_R_Foot",
    "left_hip": "CC_Base_L_Thigh",
    "left_knee": "CC_Base_L_Calf",
    "left_ankle": "CC_Base_L_Foot",
    "right_eye": "CC_Base_R_Eye",
    "left_eye": "CC_Base_L_Eye",
}


def openpose_joints_m(path: str | Path) -> tuple[np.ndarray, float]:
    """OpenPose-18 joints of a CC_Base BVH file: ((frames, 18, 3) metres y up, fps).

    Raises:
        BVHError: the file is unreadable or lacks a joint of CC_BONES.
    """
    from .bvh import BVHError

    bvh = read_bvh(path)
    world = forward_kinematics(bvh) / CM_PER_M
    out = np.zeros((world.shape[0], 18, 3))
    try:
        for name, bone in CC_BONES.items():
            out[:, JOINT[name]] = world[:, bvh.index(bone)]
        head = world[:, bvh.index("CC_Base_Head")]
    except KeyError as err:
        raise BVHError(f"{path}: not a CC_Base rig: {err}") from None
    left_eye, right_eye = out[:, JOINT["left_eye"]], out[:, JOINT["right_eye"]]
    eyes = 0.5 * (left_eye + right_eye)
    lateral = left_eye - right_eye
    lateral /= np.linalg.norm(lateral, axis=1, keepdims=True) + 1e-9
    out[:, JOINT["nose"]] = eyes + NOSE_FORWARD * (eyes - head) - [0.0, NOSE_DROP_M, 0.0]
    out[:, JOINT["left_ear"]] = head + EAR_OFFSET_M * lateral
    out[:, JOINT["right_ear"]] = head - EAR_OFFSET_M * lateral
    return out, bvh.fps


def load_cmu_clip(path: str | Path) -> Clip:
    """One CC_Base BVH clip as a motion-only Clip at MODEL_FPS in the shared layout."""
    path = Path(path)
    joints, fps = openpose_joints_m(path)
    hips = joints[:, [JOINT["left_hip"], JOINT["right_hip"]]]
    root = hips.mean(axis=1)
    left = 0.5 * (
        (joints[:, JOINT["left_shoulder"]] - joints[:, JOINT["right_shoulder"]])
        + (hips[:, 0] - hips[:, 1])
    )
    ankles_y = joints[:, [JOINT["left_ankle"], JOINT["right_ankle"]], 1]
    floor = rolling_floor(ankles_y.min(axis=1) - ANKLE_HEIGHT_M, fps)
    poses = to_model_rate(front_view_px(joints, root, left, floor, fps), fps)
    stem = path.name.split(".")[0]
    return Clip(
        name=f"cmu_modern/{stem}",
        source="cmu_modern",
        genre="modern",
        split="val" if stem in VALIDATION_CLIPS else "train",
        poses=poses.astype(np.float32),
        fps=10,
        audio=None,
    )


def load_cmu_modern(root: str | Path) -> list[Clip]:
    """Every ``*.bvh`` / ``*.bvh.gz`` under root, sorted by name."""
    root = Path(root)
    files = sorted({*root.glob("*.bvh"), *root.glob("*.bvh.gz")})
    return [load_cmu_clip(f) for f in files]
