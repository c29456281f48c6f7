"""Time operations on pose sequences: resampling between frame rates and window blending.

Pure numpy; no model, no drawing.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

VIDEO_FPS = 30  # frames per second of rendered video; poses are interpolated between model frames


def resample(poses: np.ndarray, fps_in: float, fps_out: float, n_out: int) -> np.ndarray:
    """Resample a pose sequence to another frame rate with a cubic spline.

    Args:
        poses: (frames, ...) sampled at fps_in, frame k at time k / fps_in.
        fps_in: the input frame rate.
        fps_out: the output frame rate.
        n_out: how many output frames, frame j at time j / fps_out. Times past the last input
            frame hold its value.

    Returns:
        (n_out, ...) float32.
    """
    poses = np.asarray(poses, dtype=np.float64)
    if poses.shape[0] == 1:
        return np.repeat(poses, n_out, axis=0).astype(np.float32)
    t_in = np.arange(poses.shape[0]) / fps_in
    t_out = np.minimum(np.arange(n_out) / fps_out, t_in[-1])
    # A cubic spline through the model frames keeps velocity continuous, so the video shows no
    # kink at every model frame the way linear interpolation would.
    out = CubicSpline(t_in, poses, axis=0, bc_type="natural")(t_out)
    return out.astype(np.float32)


def window_starts(n_frames: int, window: int, overlap: int) -> list[int]:
    """Start frames of windows of `window` frames covering n_frames, neighbours sharing `overlap`.

    The last window is moved back so that it ends exactly at n_frames; it may then overlap its
    neighbour by more than `overlap`.
    """
    if n_frames <= window:
        return [0]
    hop = window - overlap
    if hop <= 0:
        raise ValueError(f"overlap {overlap} must be smaller than the window {window}")
    starts = list(range(0, n_frames - window, hop))
    starts.append(n_frames - window)
    return starts


def blend_weights(window: int, overlap: int, first: bool, last: bool) -> np.ndarray:
    """Per-frame crossfade weights (window,) for one window: raised-cosine ramps at inner edges.

    Weights never reach zero, so every frame is covered even where the last window was moved
    back and overlaps by more than `overlap`.
    """
    w = np.ones(window, dtype=np.float64)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, overlap + 1) / (overlap + 1))
    if not first:
        w[:overlap] = ramp
    if not last:
        w[window - overlap :] = ramp[::-1]
    return w


def blend_windows(
    outputs: np.ndarray, starts: list[int], n_frames: int, overlap: int
) -> np.ndarray:
    """Cross-fade per-window outputs (n_windows, window, ...) into one (n_frames, ...) sequence."""
    window = outputs.shape[1]
    total = np.zeros((n_frames,) + outputs.shape[2:], dtype=np.float64)
    weight = np.zeros(n_frames, dtype=np.float64)
    for i, start in enumerate(starts):
        length = min(window, n_frames - start)
        w = blend_weights(window, overlap, first=i == 0, last=i == len(starts) - 1)[:length]
        shape = (length,) + (1,) * (outputs.ndim - 2)
        total[start : start + length] += outputs[i, :length] * w.reshape(shape)
        weight[start : start + length] += w
    return (total / weight.reshape((n_frames,) + (1,) * (outputs.ndim - 2))).astype(np.float32)
