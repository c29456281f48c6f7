"""The ballroom mocap set (Tang et al. 2018): 3D skeletons with a root path and cut music.

Layout: ``<root>/DANCE_<G>_<N>/{motion.npz, audio.ogg}`` plus ``dances.csv`` with the split.
``motion.npz`` holds root-relative ``joints`` (T, 23, 3) in cm (y up) and the root path
``center`` (T, 3) at 25 fps. The joint map follows the dataset README's right-handed reading:
side A (3-11, 0) is the dancer's right. Eyes and nose are synthesised from the two head points.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np

from dance.audio import load_song

from .common import Clip, align_audio, front_view_px, rolling_floor, to_model_rate

log = logging.getLogger(__name__)

CM_PER_M = 100.0
HIP_WIDTH_SCALE = 1.3  # OpenPose hips sit wider than mocap hip joints (dataset README)
NOSE_FORWARD_M = 0.08  # nose in front of the mid-head point
NOSE_DOWN_M = 0.03
EYE_SIDE_M = 0.032  # eyes sit this far to each side of the nose,
EYE_UP_M = 0.03  # this far above it,
EYE_BACK_M = 0.01  # and this far behind it
GENRES = {"C": "cha-cha", "R": "rumba", "T": "tango", "W": "waltz"}

# OpenPose-18 index -> source joint for the joints that exist in the mocap skeleton.
DIRECT = {
    2: 3,  # right shoulder (side A)
    3: 4,
    4: 6,  # right wrist (5 is mid-forearm)
    5: 12,  # left shoulder (side B)
    6: 13,
    7: 15,  # left wrist (14 is mid-forearm)
    8: 7,  # right hip
    9: 8,
    10: 9,
    11: 16,  # left hip
    12: 17,
    13: 18,
    16: 0,  # right ear: head point, side A
    17: 1,  # left ear: head point, side B
}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def openpose_3d(joints_m: np.ndarray) -> np.ndarray:
    """Map mocap joints (T, 23, 3) in metres to OpenPose-18 order (T, 18, 3), y up."""
    out = np.zeros(joints_m.shape[:1] + (18, 3))
    for op, src in DIRECT.items():
        out[:, op] = joints_m[:, src]
    out[:, 1] = 0.5 * (joints_m[:, 3] + joints_m[:, 12])  # neck: mid-shoulders
    hip_mid = 0.5 * (out[:, 8] + out[:, 11])
    out[:, 8] = hip_mid + HIP_WIDTH_SCALE * (out[:, 8] - hip_mid)
    out[:, 11] = hip_mid + HIP_WIDTH_SCALE * (out[:, 11] - hip_mid)
    # Face: forward is the head's left axis crossed with up (dataset README, "Facing direction").
    left = joints_m[:, 1] - joints_m[:, 0]
    left[:, 1] = 0.0
    forward = _unit(np.cross(_unit(left), np.array([0.0, 1.0, 0.0])))
    up = np.array([0.0, 1.0, 0.0])
    head_mid = 0.5 * (joints_m[:, 0] + joints_m[:, 1])
    nose = head_mid + NOSE_FORWARD_M * forward - NOSE_DOWN_M * up
    out[:, 0] = nose
    head_left = _unit(left)
    out[:, 14] = nose - EYE_SIDE_M * head_left + EYE_UP_M * up - EYE_BACK_M * forward
    out[:, 15] = nose + EYE_SIDE_M * head_left + EYE_UP_M * up - EYE_BACK_M * forward
    return out


def read_split(root: Path) -> dict[str, str]:
    """Dance name -> "train" or "val", from dances.csv."""
    with open(root / "dances.csv", newline="") as fh:
        return {row["name"]: row["split"] for row in csv.DictReader(fh)}


def load_dance(folder: Path, split: str, with_audio: bool = True) -> Clip:
    """Convert one DANCE_* folder to a Clip (poses at MODEL_FPS, audio at SAMPLE_RATE)."""
    motion = np.load(folder / "motion.npz")
    fps = float(motion["fps"])
    joints = motion["joints"].astype(np.float64) / CM_PER_M
    center = motion["center"].astype(np.float64) / CM_PER_M
    absolute = openpose_3d(joints + center[:, None, :])
    left = 0.5 * ((absolute[:, 5] - absolute[:, 2]) + (absolute[:, 11] - absolute[:, 8]))
    floor = rolling_floor((joints + center[:, None, :])[..., 1].min(axis=1), fps)
    poses = to_model_rate(front_view_px(absolute, center, left, floor, fps), fps)
    audio = None
    if with_audio:
        audio = load_song(folder / "audio.ogg", max_seconds=float("inf")).samples
    poses, audio = align_audio(poses, audio)
    code = folder.name.split("_")[1]
    return Clip(
        name=folder.name,
        source="ballroom",
        genre=str(motion["genre"]) if "genre" in motion.files else GENRES.get(code, ""),
        split=split,
        poses=poses.astype(np.float32),
        fps=10,
        audio=audio,
    )


def load_ballroom(
    root: str | Path, split: str | None = None, with_audio: bool = True
) -> list[Clip]:
    """Every dance under root (or only split "train"/"val"), sorted by name.

    Raises:
        FileNotFoundError: root has no dances.csv.
    """
    root = Path(root)
    splits = read_split(root)
    clips = []
    for name in sorted(splits):
        if split is not None and splits[name] != split:
            continue
        folder = root / name
        if not (folder / "motion.npz").is_file():
            log.warning("%s: listed in dances.csv but missing; skipped", folder)
            continue
        clips.append(load_dance(folder, splits[name], with_audio=with_audio))
    return clips
