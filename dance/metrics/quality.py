"""Motion quality without a reference: jitter and implausible bone-length changes.

Both are measured on pixel poses at ANALYSIS_FPS, in physical time, so any input rate gives
comparable numbers:

* jitter: the share of joint-velocity power between JITTER_BAND_HZ[0] and JITTER_BAND_HZ[1]
  out of all power up to JITTER_BAND_HZ[1]. The band ends at the Nyquist rate of the 10 fps
  model output, so a 10 fps dance and a 60 fps video are scored over the same frequencies.
  Dance steps live below about 3 Hz; frame-to-frame shaking puts power near the top;
* bone changes: a 2D bone legitimately shortens when it turns towards the camera, so only
  the relative change matters. A bone's unit is its 90th-percentile projected length over the
  dance (projection only shortens, so this estimates the true length). A frame is implausible
  when any body bone (skeleton.BODY_BONES) changes its projected length by more than
  BONE_CHANGE_MAX units within BONE_CHANGE_DT_S (0.1 s, one model frame): that is a turn in
  depth at over 5 rad/s, or a bone that stretches. In the real validation dances 0.6 % of
  frames exceed it, nearly all through forearms pointing at the camera;
* collapsed frames: the share of frames in which most coordinates sit on the edge of the
  normalised box (|x| > SATURATED_ABS), i.e. the generator's tanh output saturated and the
  skeleton flew to a corner. Real dances have none; one such frame is a visible flash and
  dominates FID_k and jitter, so it is counted on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import BODY_BONES
from .common import ANALYSIS_FPS, to_analysis_px

SATURATED_ABS = 0.98  # a normalised coordinate beyond this is on the frame's edge
SATURATED_SHARE = 0.5  # a frame with more than this share of coordinates there has collapsed
JITTER_BAND_HZ = (3.0, 5.0)  # high band of the velocity spectrum; 5 Hz = Nyquist of 10 fps
BONE_CHANGE_DT_S = 0.1  # seconds over which a bone's length change is measured
BONE_CHANGE_MAX = 0.5  # change in that time, in units of the bone's length, that is implausible
BONE_PERCENTILE = 90  # of a bone's projected length over the dance: estimates its true length


@dataclass(frozen=True)
class MotionQuality:
    """Reference-free quality of one dance.

    Attributes:
        jitter: share of velocity power in JITTER_BAND_HZ, 0..1 (NaN for a motionless dance).
        bone_change_share: share of frames with an implausible bone-length change, 0..1.
        mean_speed_px_s: mean joint speed in px/s of the 640 x 360 frame (0 = a statue).
        collapsed_share: share of frames with most coordinates on the box edge, 0..1.
    """

    jitter: float
    bone_change_share: float
    mean_speed_px_s: float
    collapsed_share: float


def jitter(px: np.ndarray, rate: float = ANALYSIS_FPS) -> float:
    """High-band share of joint-velocity power of pixel poses (frames, 18, 2) at rate."""
    velocity = np.diff(px, axis=0) * rate
    velocity = velocity - velocity.mean(axis=0)
    spectrum = np.abs(np.fft.rfft(velocity, axis=0)) ** 2
    freqs = np.fft.rfftfreq(velocity.shape[0], d=1.0 / rate)
    low, high = JITTER_BAND_HZ
    total = spectrum[(freqs > 0) & (freqs <= high)].sum()
    if total <= 0:
        return float("nan")
    return float(spectrum[(freqs >= low) & (freqs <= high)].sum() / total)


def bone_change_share(px: np.ndarray, rate: float = ANALYSIS_FPS) -> float:
    """Share of frames where some body bone's length jumps by more than BONE_CHANGE_MAX."""
    lag = max(1, int(round(BONE_CHANGE_DT_S * rate)))
    if px.shape[0] <= lag:
        return float("nan")
    a = np.array([i for i, _ in BODY_BONES])
    b = np.array([j for _, j in BODY_BONES])
    length = np.linalg.norm(px[:, a] - px[:, b], axis=-1)  # (frames, bones)
    scale = np.maximum(np.percentile(length, BONE_PERCENTILE, axis=0), 1e-6)
    change = np.abs(length[lag:] - length[:-lag]) / scale
    return float(np.mean((change > BONE_CHANGE_MAX).any(axis=1)))


def collapsed_share(keypoints: np.ndarray) -> float:
    """Share of frames (frames, 18, 2) whose coordinates mostly sit on the normalised box edge."""
    on_edge = np.abs(np.asarray(keypoints)) > SATURATED_ABS
    return float(np.mean(on_edge.mean(axis=(1, 2)) > SATURATED_SHARE))


def motion_quality(keypoints: np.ndarray, fps: float) -> MotionQuality:
    """Jitter, bone-change share, mean speed and collapsed frames of a dance (frames, 18, 2).

    Raises:
        InputError: the keypoints are malformed or under a second long.
    """
    px = to_analysis_px(keypoints, fps)
    speed = np.linalg.norm(np.diff(px, axis=0), axis=-1).mean() * ANALYSIS_FPS
    return MotionQuality(
        jitter=jitter(px),
        bone_change_share=bone_change_share(px),
        mean_speed_px_s=float(speed),
        collapsed_share=collapsed_share(keypoints),
    )
