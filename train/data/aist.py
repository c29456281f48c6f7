"""AIST++ 2D keypoints (``keypoints2d/*.pkl``): COCO-17 detections, motion only, no music.

Each pickle is a dict with ``keypoints2d`` of shape (9 views, T, 17, 3) = (x, y, confidence)
in pixels of the 1920 x 1080 videos at 60 fps, plus ``det_scores`` and ``timestamps``. One view
is converted to OpenPose-18 (the neck is the shoulders' midpoint), low-confidence joints are
interpolated over time, and the skeleton is moved into the shared layout.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from .common import Clip, fill_missing, standardise_layout_px, to_model_rate

AIST_FPS = 60.0
MIN_CONFIDENCE = 0.2  # detections below this are treated as missing
VALIDATION_FRACTION = 0.15  # of sequences, by name, held out (the split is by dance)

# OpenPose-18 index -> COCO-17 index; the neck (1) is derived.
COCO_FOR_OPENPOSE = {
    0: 0,
    2: 6,
    3: 8,
    4: 10,
    5: 5,
    6: 7,
    7: 9,
    8: 12,
    9: 14,
    10: 16,
    11: 11,
    12: 13,
    13: 15,
    14: 2,
    15: 1,
    16: 4,
    17: 3,
}
GENRE_CODES = {
    "gBR": "break",
    "gPO": "pop",
    "gLO": "lock",
    "gMH": "middle hip-hop",
    "gLH": "LA hip-hop",
    "gHO": "house",
    "gWA": "waack",
    "gKR": "krump",
    "gJS": "street jazz",
    "gJB": "ballet jazz",
}


def coco_to_openpose(kp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 3) COCO keypoints -> (T, 18, 2) OpenPose pixels and a (T, 18) missing mask."""
    xy = np.zeros(kp.shape[:1] + (18, 2))
    conf = np.zeros(kp.shape[:1] + (18,))
    for op, coco in COCO_FOR_OPENPOSE.items():
        xy[:, op] = kp[:, coco, :2]
        conf[:, op] = kp[:, coco, 2]
    xy[:, 1] = 0.5 * (kp[:, 5, :2] + kp[:, 6, :2])
    conf[:, 1] = np.minimum(kp[:, 5, 2], kp[:, 6, 2])
    missing = (conf < MIN_CONFIDENCE) | ~np.all(np.isfinite(xy), axis=-1)
    return np.nan_to_num(xy), missing


def load_aist_pickle(path: str | Path, view: int = 0, split: str | None = None) -> Clip:
    """One AIST++ sequence as a motion-only Clip at MODEL_FPS."""
    path = Path(path)
    with open(path, "rb") as fh:
        data = pickle.load(fh)  # noqa: S301 (the user's own dataset files)
    kp = np.asarray(data["keypoints2d"], dtype=np.float64)
    if kp.ndim != 4 or kp.shape[2:] != (17, 3):
        raise ValueError(f"{path}: keypoints2d has shape {kp.shape}, expected (views, T, 17, 3)")
    xy, missing = coco_to_openpose(kp[view])
    poses_px = standardise_layout_px(fill_missing(xy, missing))
    genre = GENRE_CODES.get(path.name[:3], "")
    if split is None:
        split = "val" if (sum(map(ord, path.stem)) % 100) < VALIDATION_FRACTION * 100 else "train"
    return Clip(
        name=f"aist/{path.stem}",
        source="aist",
        genre=genre,
        split=split,
        poses=to_model_rate(poses_px, AIST_FPS).astype(np.float32),
        fps=10,
        audio=None,
    )


def load_aist(root: str | Path, view: int = 0) -> list[Clip]:
    """Every ``*.pkl`` under root (e.g. the AIST++ ``keypoints2d`` folder), sorted by name."""
    return [load_aist_pickle(p, view) for p in sorted(Path(root).glob("*.pkl"))]
