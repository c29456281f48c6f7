"""Fixtures: tiny datasets in each supported layout, built in tmp folders (no ../shared)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from tests.train.synthetic import MOCAP_FPS, mocap_motion, write_ballroom


@pytest.fixture(scope="session")
def ballroom_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    names = {
        "DANCE_C_1": "train",
        "DANCE_W_1": "train",
        "DANCE_R_1": "train",
        "DANCE_W_2": "val",
    }
    return write_ballroom(tmp_path_factory.mktemp("ballroom"), names)


@pytest.fixture
def paper_json(tmp_path: Path) -> Path:
    """The paper's double-encoded JSON: video 000 with two consecutive clips and a broken one,
    video 047 (a validation id) with one clip."""
    rng = np.random.default_rng(0)

    def clip() -> dict:
        poses = 320 + 40 * rng.standard_normal((100, 18, 2))
        poses[:, :, 1] = 180 + 60 * rng.standard_normal((100, 18))
        poses[5, 3] = 0  # an undetected joint
        audio = (3000 * rng.standard_normal(160_000)).astype(int)
        return {"audio_sequence": audio.tolist(), "joint_coors": poses.round(1).tolist()}

    broken = clip()
    broken["joint_coors"] = broken["joint_coors"][:50]
    data = {"000": {"025": clip(), "035": clip(), "045": broken}, "047": {"010": clip()}}
    path = tmp_path / "clean_revised_pose_pairs.json"
    path.write_text(json.dumps(json.dumps(data)))
    return path


@pytest.fixture
def aist_pickle(tmp_path: Path) -> Path:
    """An AIST++ keypoints2d pickle: (9 views, T, 17, 3) COCO keypoints at 60 fps."""
    frames = 240
    coco = np.zeros((frames, 17, 3))
    # A front-facing person in a 1920 x 1080 image: their right is the image's left.
    base = {
        0: (960, 300),
        1: (975, 285),
        2: (945, 285),
        3: (995, 295),
        4: (925, 295),
        5: (1030, 380),
        6: (890, 380),
        7: (1050, 500),
        8: (870, 500),
        9: (1060, 610),
        10: (860, 610),
        11: (1000, 620),
        12: (920, 620),
        13: (1005, 800),
        14: (915, 800),
        15: (1010, 970),
        16: (910, 970),
    }
    t = np.arange(frames) / 60
    for j, (x, y) in base.items():
        coco[:, j, 0] = x + 100 * t  # the dancer travels right
        coco[:, j, 1] = y + (30 * np.sin(2 * np.pi * 2 * t) if j in (9, 10) else 0)
        coco[:, j, 2] = 0.9
    coco[10:20, 9, 2] = 0.05  # a low-confidence wrist
    views = np.repeat(coco[None], 9, axis=0)
    path = tmp_path / "gBR_sBM_cAll_d04_mBR0_ch01.pkl"
    with open(path, "wb") as fh:
        pickle.dump({"keypoints2d": views, "det_scores": np.ones((9, frames)), "timestamps": t}, fh)
    return path


@pytest.fixture
def g1_dir(tmp_path: Path) -> Path:
    """A G1 Moves clip folder: joints (T, 23, 3) in metres, z up, at 60 fps."""
    from train.data.ballroom import openpose_3d

    seconds = 6.0
    joints_cm, center_cm = mocap_motion(seconds, yaw_deg=0.0)
    op = openpose_3d((joints_cm + center_cm[:, None]) / 100.0)  # (T, 18, 3), y up
    op *= 1.32 / 1.70  # robot size
    # y-up (x, y, z) -> z-up (x, -z, y), the inverse of the loader's conversion.
    zup = np.stack([op[..., 0], -op[..., 2], op[..., 1]], axis=-1)
    frames = np.repeat(zup, 60 // MOCAP_FPS + 1, axis=0)[: int(seconds * 60)]
    joints = np.concatenate([frames, np.zeros(frames.shape[:1] + (5, 3))], axis=1)
    folder = tmp_path / "J_Dance2_Salsa"
    folder.mkdir()
    np.savez_compressed(
        folder / "motion.npz",
        joints=joints.astype(np.float32),
        fps=np.float32(60.0),
        openpose18_index=np.arange(18),
        genre=np.str_("salsa"),
    )
    return tmp_path
