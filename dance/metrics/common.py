"""What every metric does first: check a keypoint sequence and bring it to one rate and unit.

Metrics accept OpenPose-18 keypoints (frames, 18, 2) in the normalised box of dance.skeleton
at any frame rate. They work on ANALYSIS_FPS pixel coordinates of the paper's 640 x 360 frame
(isotropic, y down), so a 10 fps model output and a 60 fps video track give comparable numbers.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..errors import InputError
from ..motion import resample
from ..skeleton import N_JOINTS, norm_to_px

ANALYSIS_FPS = 30  # frames per second every motion metric works at (33 ms beat resolution)
ANTIALIAS_SIGMA_S = 0.5 / ANALYSIS_FPS  # Gaussian sigma (s) before downsampling faster input
WINDOW_S = 5.0  # seconds per feature window for FID, diversity and cross-modal matching
MIN_SECONDS = 1.0  # the shortest dance a metric accepts


def check_keypoints(keypoints: np.ndarray, fps: float, what: str = "dance") -> np.ndarray:
    """Validate a pose sequence and return it as float64 (frames, 18, 2).

    Raises:
        InputError: wrong shape, non-finite values, a bad fps, or under MIN_SECONDS long.
    """
    poses = np.asarray(keypoints, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (N_JOINTS, 2):
        raise InputError(f"{what}: keypoints must have shape (frames, 18, 2), got {poses.shape}")
    if not np.isfinite(fps) or fps <= 0:
        raise InputError(f"{what}: fps must be a positive number, got {fps!r}")
    if not np.all(np.isfinite(poses)):
        raise InputError(f"{what}: keypoints hold NaN or infinite values")
    if poses.shape[0] / fps < MIN_SECONDS:
        raise InputError(
            f"{what}: {poses.shape[0]} frames at {fps:g} fps is under {MIN_SECONDS:g} s"
        )
    return poses


def n_frames_at(duration_s: float, fps: float) -> int:
    """Frames at fps covering [0, duration_s]: frame k at k / fps, the last at or before the end."""
    return int(np.floor(duration_s * fps + 1e-6)) + 1


def to_analysis_px(keypoints: np.ndarray, fps: float, rate: float = ANALYSIS_FPS) -> np.ndarray:
    """Normalised poses (frames, 18, 2) at fps -> pixel poses (frames', 18, 2) at rate.

    Faster input is low-passed first so that jitter above the new Nyquist does not alias;
    slower input is interpolated with a cubic spline (dance.motion.resample).
    """
    poses = check_keypoints(keypoints, fps)
    px = norm_to_px(poses).astype(np.float64)
    if np.isclose(fps, rate):
        return px
    if fps > rate:
        px = gaussian_filter1d(px, ANTIALIAS_SIGMA_S * fps, axis=0, mode="nearest")
    duration = (poses.shape[0] - 1) / fps
    return resample(px, fps, rate, n_frames_at(duration, rate)).astype(np.float64)


def to_rate(keypoints: np.ndarray, fps: float, rate: float) -> np.ndarray:
    """Normalised poses at fps -> normalised poses at rate (anti-aliased), float32."""
    poses = check_keypoints(keypoints, fps)
    if np.isclose(fps, rate):
        return poses.astype(np.float32)
    if fps > rate:
        poses = gaussian_filter1d(poses, 0.5 / rate * fps, axis=0, mode="nearest")
    duration = (poses.shape[0] - 1) / fps
    return resample(poses, fps, rate, n_frames_at(duration, rate))


def window_slices(n_frames: int, fps: float, window_s: float = WINDOW_S) -> list[slice]:
    """Non-overlapping windows of window_s seconds; a shorter remainder is dropped.

    A sequence shorter than one window gives one window over all of it, so every dance
    contributes at least one feature vector.
    """
    size = int(round(window_s * fps))
    if n_frames < size:
        return [slice(0, n_frames)]
    return [slice(s, s + size) for s in range(0, n_frames - size + 1, size)]
