"""Synthetic dances with known beats for the metric tests (numpy only, no files)."""

from __future__ import annotations

import numpy as np

from dance.skeleton import px_to_norm

# A person standing in the 640 x 360 frame (x right, y down), OpenPose-18 order.
STANDING_PX = np.array(
    [
        (320, 100),  # nose
        (320, 130),  # neck
        (295, 130),  # right shoulder (image left: the dancer faces us)
        (290, 175),  # right elbow
        (288, 215),  # right wrist
        (345, 130),  # left shoulder
        (350, 175),  # left elbow
        (352, 215),  # left wrist
        (305, 220),  # right hip
        (303, 280),  # right knee
        (302, 338),  # right ankle
        (335, 220),  # left hip
        (337, 280),  # left knee
        (338, 338),  # left ankle
        (315, 95),  # right eye
        (325, 95),  # left eye
        (310, 98),  # right ear
        (330, 98),  # left ear
    ],
    dtype=np.float64,
)


def beat_locked_dance(
    period_s: float,
    first_beat_s: float,
    seconds: float,
    fps: float,
    amplitude_px: float = 20.0,
    direction: tuple[float, float] = (1.0, 0.3),
) -> np.ndarray:
    """A body swaying rigidly so that its speed is zero exactly on every beat.

    Position = A cos(pi (t - first_beat) / period) along `direction`: the speed
    |A pi / period sin(...)| vanishes at first_beat + k period and peaks halfway between.

    Returns:
        (frames, 18, 2) normalised poses at fps.
    """
    t = np.arange(int(round(seconds * fps)) + 1) / fps
    sway = amplitude_px * np.cos(np.pi * (t - first_beat_s) / period_s)
    d = np.asarray(direction) / np.linalg.norm(direction)
    px = STANDING_PX[None] + sway[:, None, None] * d[None, None, :]
    return px_to_norm(px)


def beat_grid(period_s: float, first_beat_s: float, seconds: float) -> np.ndarray:
    """Beat times first_beat + k period within [0, seconds]."""
    return np.arange(first_beat_s, seconds + 1e-9, period_s)


def waving_dance(period_s: float, seconds: float, fps: float, amplitude_px: float) -> np.ndarray:
    """Arms waving up and down (the body still): a cos of period 2 * period_s, as above.

    Returns:
        (frames, 18, 2) normalised poses at fps.
    """
    t = np.arange(int(round(seconds * fps)) + 1) / fps
    wave = amplitude_px * np.cos(np.pi * t / period_s)
    px = np.repeat(STANDING_PX[None], t.size, axis=0)
    for joint, share in ((3, 0.5), (4, 1.0), (6, 0.5), (7, 1.0)):  # elbows and wrists
        px[:, joint, 1] -= share * wave
    return px_to_norm(px)
