"""What every dataset loader returns, and the 3D-to-2D geometry they share.

Every source (ballroom mocap, the paper's JSON, AIST++ pickles, G1 Moves) becomes a list of
`Clip`s: OpenPose-18 poses in the paper's normalised 2D box at MODEL_FPS, with the aligned
audio where the source has music. One layout is used for all 3D sources, so their poses are
comparable:

* front view: each frame is turned about the vertical axis so that the body (mean of the
  shoulder and hip axes, lightly smoothed over time) faces the camera;
* travel removed: horizontal positions are relative to the root (the body centre), so the
  dancer stays at the centre of the frame; heights stay absolute (rise, fall and jumps kept);
* scale: PX_PER_M pixels per metre of the 640 x 360 frame, floor at FLOOR_Y_PX.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, percentile_filter

from dance.audio import MODEL_FPS, SAMPLES_PER_FRAME
from dance.motion import resample
from dance.skeleton import JOINT, PAPER_WIDTH, px_to_norm

PX_PER_M = 150.0  # pixels per metre: a 1.7 m dancer is 255 px tall in the 360 px frame
FLOOR_Y_PX = 340.0  # pixel row of the floor in the 640 x 360 frame
FACING_SMOOTH_S = 0.2  # Gaussian sigma, in seconds, on the facing angle: keeps twists, not jitter
FLOOR_WINDOW_S = 4.0  # seconds of the rolling window that finds the floor
FLOOR_PERCENTILE = 10  # low percentile of the lowest point over that window
ANTIALIAS_SIGMA_S = 0.04  # Gaussian sigma before resampling to MODEL_FPS (suppresses aliasing)


@dataclass(frozen=True)
class Clip:
    """One continuous dance.

    Attributes:
        name: a stable identifier, e.g. "DANCE_W_11" or "clean/003".
        source: which dataset it came from ("ballroom", "paper_json", "aist", "g1moves").
        genre: a style label where the source has one, else "".
        split: "train" or "val"; the split is by dance, never by clip window.
        poses: (frames, 18, 2) float32 normalised poses at `fps`.
        fps: pose frame rate (MODEL_FPS).
        audio: (frames * SAMPLES_PER_FRAME,) mono float32 at SAMPLE_RATE aligned with the
            poses (frame k starts at sample k * SAMPLES_PER_FRAME), or None for motion-only data.
    """

    name: str
    source: str
    genre: str
    split: str
    poses: np.ndarray
    fps: int
    audio: np.ndarray | None

    @property
    def seconds(self) -> float:
        return self.poses.shape[0] / self.fps

    def __post_init__(self) -> None:
        assert self.poses.ndim == 3 and self.poses.shape[1:] == (18, 2), self.poses.shape
        if self.audio is not None:
            assert self.audio.shape == (self.poses.shape[0] * SAMPLES_PER_FRAME,), (
                self.audio.shape,
                self.poses.shape,
            )


def facing_axes(left: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit lateral ("dancer's left") and forward axes per frame from a left-pointing body axis.

    Args:
        left: (T, 3) vectors pointing to the dancer's left (e.g. right-to-left shoulder),
            y up. Only their horizontal part is used.
        fps: frame rate, for the temporal smoothing.

    Returns:
        lateral (T, 3) and forward (T, 3) horizontal unit vectors; forward = lateral x up.
    """
    angle = np.unwrap(np.arctan2(left[:, 2], left[:, 0]))
    angle = gaussian_filter1d(angle, FACING_SMOOTH_S * fps, mode="nearest")
    lateral = np.stack([np.cos(angle), np.zeros_like(angle), np.sin(angle)], axis=1)
    forward = np.cross(lateral, np.array([0.0, 1.0, 0.0]))
    return lateral, forward


def rolling_floor(lowest_y_m: np.ndarray, fps: float) -> np.ndarray:
    """Floor height per frame: a rolling low percentile of the lowest body point.

    Mocap floors drift (one ballroom dance has its lowest point 6-50 cm above y = 0); a
    foot is on the floor most of the time, so a low percentile over FLOOR_WINDOW_S finds it
    while keeping jumps and rise-and-fall, which last far less than the window.
    """
    size = max(1, int(round(FLOOR_WINDOW_S * fps)))
    return percentile_filter(lowest_y_m, FLOOR_PERCENTILE, size=size, mode="nearest")


def front_view_px(
    joints_m: np.ndarray, root_m: np.ndarray, left: np.ndarray, floor_m: np.ndarray, fps: float
) -> np.ndarray:
    """Project OpenPose-ordered 3D joints to the paper's pixel frame, front view, travel removed.

    Args:
        joints_m: (T, 18, 3) absolute positions in metres, y up, floor at y = 0.
        root_m: (T, 3) the body centre; its horizontal path is removed.
        floor_m: (T,) floor height per frame (see rolling_floor); heights are measured from
            it, so feet on the floor land on FLOOR_Y_PX.
        left: (T, 3) vectors pointing to the dancer's left, for the facing direction.
        fps: frame rate of the input.

    Returns:
        (T, 18, 2) pixel coordinates in the 640 x 360 frame (x right, y down). The dancer's
        right side appears on the image's left, as in a photo of someone facing the camera.
    """
    lateral, _ = facing_axes(left, fps)
    rel = joints_m - root_m[:, None, :]
    x = np.einsum("tjc,tc->tj", rel, lateral)
    height = joints_m[..., 1] - floor_m[:, None]
    return np.stack([PAPER_WIDTH / 2 + PX_PER_M * x, FLOOR_Y_PX - PX_PER_M * height], axis=-1)


def to_model_rate(poses_px: np.ndarray, fps_in: float) -> np.ndarray:
    """Low-pass and resample pixel poses (T, 18, 2) to MODEL_FPS, then normalise them."""
    smooth = gaussian_filter1d(poses_px, ANTIALIAS_SIGMA_S * fps_in, axis=0, mode="nearest")
    n_out = int(np.floor((poses_px.shape[0] - 1) / fps_in * MODEL_FPS)) + 1
    return px_to_norm(resample(smooth, fps_in, MODEL_FPS, n_out))


def align_audio(
    poses: np.ndarray, audio: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Cut poses and audio to the same number of whole pose frames."""
    if audio is None:
        return poses, None
    frames = min(poses.shape[0], audio.shape[0] // SAMPLES_PER_FRAME)
    return poses[:frames], np.ascontiguousarray(audio[: frames * SAMPLES_PER_FRAME])


def standardise_layout_px(poses_px: np.ndarray, body_height_px: float | None = None) -> np.ndarray:
    """Bring 2D pixel poses (T, 18, 2) from a video to the shared layout.

    The hip centre is moved to the frame's horizontal centre in every frame (travel removed),
    the skeleton is scaled so that its median neck-to-ankle height matches the 3D sources,
    and the median of the lower ankle is put on the floor row. Used for AIST++ and, when
    asked, for the paper's JSON.
    """
    poses = np.asarray(poses_px, dtype=np.float64).copy()
    hips = poses[:, [JOINT["right_hip"], JOINT["left_hip"]]].mean(axis=1)
    ankles_y = poses[:, [JOINT["right_ankle"], JOINT["left_ankle"]], 1].max(axis=1)
    height = np.median(ankles_y - poses[:, JOINT["neck"], 1])
    target = body_height_px if body_height_px is not None else 1.45 * PX_PER_M
    scale = target / max(height, 1e-6)
    poses[..., 0] = PAPER_WIDTH / 2 + (poses[..., 0] - hips[:, None, 0]) * scale
    floor = np.median(ankles_y)
    poses[..., 1] = FLOOR_Y_PX + (poses[..., 1] - floor) * scale
    return poses


def fill_missing(poses_px: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Fill missing joints (T, 18) by linear interpolation over time, else from the neck."""
    poses = np.asarray(poses_px, dtype=np.float64).copy()
    t = np.arange(poses.shape[0])
    for j in range(poses.shape[1]):
        ok = ~missing[:, j]
        if ok.all():
            continue
        if ok.sum() >= 2:
            for c in range(2):
                poses[~ok, j, c] = np.interp(t[~ok], t[ok], poses[ok, j, c])
        else:
            poses[:, j] = poses[:, JOINT["neck"]]
    return poses
