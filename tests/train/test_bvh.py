"""The BVH reader and the CMU (CC_Base rig) loader, on tiny files written here."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from dance.skeleton import JOINT
from train.data import BVHError, forward_kinematics, load_clips, load_cmu_clip, parse_bvh, read_bvh

CHAIN = """HIERARCHY
ROOT hips
{
  OFFSET 0 100 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
  JOINT arm
  {
    OFFSET 10 0 0
    CHANNELS 3 Zrotation Yrotation Xrotation
    End Site
    {
      OFFSET 0 -20 0
    }
  }
}
MOTION
Frames: 3
Frame Time: 0.5
0 0 0 0 0 0   0 0 0
5 -2 0 90 0 0   0 0 0
0 0 0 0 0 0   0 0 90
"""


def test_chain_forward_kinematics() -> None:
    bvh = parse_bvh(CHAIN)
    assert bvh.names == ["hips", "arm", "arm_end"]
    assert bvh.fps == pytest.approx(2.0)
    pos = forward_kinematics(bvh)
    assert pos.shape == (3, 3, 3)
    # Rest pose: the root at its offset, the arm 10 to the side, its end 20 below.
    np.testing.assert_allclose(pos[0], [[0, 100, 0], [10, 100, 0], [10, 80, 0]], atol=1e-9)
    # Position channels move the root from its offset; 90 degrees about z turns +x into +y
    # and -y into +x, for the whole subtree.
    np.testing.assert_allclose(pos[1, 0], [5, 98, 0], atol=1e-9)
    np.testing.assert_allclose(pos[1, 1], [5, 108, 0], atol=1e-9)
    np.testing.assert_allclose(pos[1, 2], [25, 108, 0], atol=1e-9)
    # The arm's own 90 degrees about x turns its end from -y to -z.
    np.testing.assert_allclose(pos[2, 2], [10, 100, -20], atol=1e-9)


def test_gzipped_file_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "chain.bvh.gz"
    with gzip.open(path, "wt") as f:
        f.write(CHAIN)
    np.testing.assert_array_equal(read_bvh(path).motion, parse_bvh(CHAIN).motion)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "HIERARCHY"),
        ("HIERARCHY ROOT hips { OFFSET 0 0", "ends inside"),
        (CHAIN.replace("Frames: 3", "Frames: 4"), "4 frames"),
        (CHAIN.replace("0 0 0 0 0 0   0 0 90", "0 0 0 0 0 0   0 0 x"), "not a number"),
        (
            CHAIN.replace(
                "Zrotation Yrotation Xrotation\n  JOINT", "Qrotation Yrotation Xrotation\n  JOINT"
            ),
            "unknown channels",
        ),
        (CHAIN.replace("Frame Time: 0.5", "Frame Time: 0"), "frame time"),
    ],
)
def test_malformed_bvh_is_a_clear_error(text: str, words: str) -> None:
    with pytest.raises(BVHError, match=words):
        parse_bvh(text, "bad.bvh")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BVHError, match="no such file"):
        read_bvh(tmp_path / "none.bvh")


def cc_rig_bvh(frames: int = 150, fps: float = 60.0) -> str:
    """A minimal CC_Base rig (only the bones the loader reads), standing and swaying its arm.

    Facing +z with y up, so the dancer's left (L_ bones) is +x.
    """

    def joint(name: str, offset: tuple, children: str = "", indent: str = "  ") -> str:
        body = (
            children
            or f"{indent}  End Site\n{indent}  {{\n{indent}    OFFSET 0 1 0\n{indent}  }}\n"
        )
        return (
            f"{indent}JOINT {name}\n{indent}{{\n"
            f"{indent}  OFFSET {offset[0]} {offset[1]} {offset[2]}\n"
            f"{indent}  CHANNELS 3 Zrotation Yrotation Xrotation\n{body}{indent}}}\n"
        )

    def leg(side: str, x: float) -> str:
        return joint(
            f"CC_Base_{side}_Thigh",
            (x, -5, 0),
            joint(f"CC_Base_{side}_Calf", (0, -45, 0), joint(f"CC_Base_{side}_Foot", (0, -45, 0))),
        )

    def arm(side: str, x: float) -> str:
        d = 1 if x > 0 else -1
        return joint(
            f"CC_Base_{side}_Upperarm",
            (x, 0, 0),
            joint(
                f"CC_Base_{side}_Forearm",
                (d * 28, 0, 0),
                joint(f"CC_Base_{side}_Hand", (d * 25, 0, 0)),
            ),
        )

    head = joint(
        "CC_Base_Head",
        (0, 10, 0),
        joint("CC_Base_L_Eye", (3, 8, 8)) + joint("CC_Base_R_Eye", (-3, 8, 8)),
    )
    neck = joint("CC_Base_NeckTwist01", (0, 55, 0), head + arm("L", 18) + arm("R", -18))
    hierarchy = (
        "HIERARCHY\nROOT CC_Base_Hip\n{\n  OFFSET 0 95 0\n"
        "  CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\n"
        + leg("L", 10)
        + leg("R", -10)
        + neck
        + "}\n"
    )
    n_channels = 6 + 3 * hierarchy.count("JOINT")
    t = np.arange(frames) / fps
    motion = np.zeros((frames, n_channels))
    motion[:, 0] = 5 * np.sin(2 * np.pi * t)  # sway along x
    order = [
        line.split()[1]
        for line in hierarchy.splitlines()
        if line.strip().startswith(("ROOT", "JOINT"))
    ]
    arm_col = 6 + 3 * (order.index("CC_Base_L_Upperarm") - 1)
    motion[:, arm_col] = 60 * np.sin(2 * np.pi * t)  # left arm waves about z
    lines = "\n".join(" ".join(f"{v:.4f}" for v in row) for row in motion)
    return hierarchy + f"MOTION\nFrames: {frames}\nFrame Time: {1 / fps:.6f}\n{lines}\n"


@pytest.fixture
def cmu_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cmu_modern"
    folder.mkdir()
    with gzip.open(folder / "005_02.bvh.gz", "wt") as f:
        f.write(cc_rig_bvh())
    (folder / "005_05.bvh").write_text(cc_rig_bvh(90))  # a validation clip
    return folder


def test_cmu_clip_is_an_upright_front_view(cmu_dir: Path) -> None:
    clip = load_cmu_clip(cmu_dir / "005_02.bvh.gz")
    assert clip.source == "cmu_modern" and clip.genre == "modern" and clip.split == "train"
    assert clip.audio is None and clip.fps == 10
    assert clip.poses.shape == (25, 18, 2)  # 2.5 s at 10 fps, first and last frame included
    p = clip.poses
    assert np.isfinite(p).all()
    # Up is up: head above neck above hips above ankles (y grows downwards).
    assert (p[:, JOINT["nose"], 1] < p[:, JOINT["neck"], 1]).all()
    assert (p[:, JOINT["neck"], 1] < p[:, JOINT["right_hip"], 1]).all()
    assert (p[:, JOINT["right_hip"], 1] < p[:, JOINT["right_ankle"], 1]).all()
    # Facing the camera, the dancer's right is on the image's left.
    assert (p[:, JOINT["right_shoulder"], 0] < p[:, JOINT["left_shoulder"], 0]).all()
    assert (p[:, JOINT["right_ear"], 0] < p[:, JOINT["left_ear"], 0]).all()
    # The waving left wrist moves; the still right wrist does not.
    assert np.ptp(p[:, JOINT["left_wrist"], 1]) > 5 * np.ptp(p[:, JOINT["right_wrist"], 1])


def test_folder_of_bvh_files_loads_with_held_out_clips(cmu_dir: Path) -> None:
    clips = load_clips(cmu_dir)
    assert [c.name for c in clips] == ["cmu_modern/005_02", "cmu_modern/005_05"]
    assert [c.split for c in clips] == ["train", "val"]


def test_bvh_of_another_rig_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "chain.bvh"
    path.write_text(CHAIN)
    with pytest.raises(BVHError, match="not a CC_Base rig"):
        load_cmu_clip(path)
